/**
 * An export: any recorded range of one camera as ONE progressive MP4, built on the fly without
 * re-encoding. The file is virtual: a header made here (codec/mp4/progressive.ts), then the
 * samples' bytes where they lie in the segment files, as pieces (file, offset, length). Nothing is
 * copied until a client reads a byte range of it (virtual-file.ts).
 *
 * - The video starts at the keyframe at or before `start` (at or after it for a clip link, which
 *   may see nothing earlier; at the first recorded keyframe when `start` falls in a gap), and ends
 *   with the last sample before `end`. Video time 0 is that first keyframe; `startMs` says when.
 * - Gaps (between segments) are held frames: the sample before a gap lasts until the one after it.
 * - Track timescale 45000: a sample's duration is a u32, and 24 h (the longest range) is
 *   3.9 billion ticks, so any gap fits in one held frame without an edit list.
 * - A segment whose avcC or picture size differs from the first one (the camera restarted with
 *   other settings) ends the export there: `cutMs` says where, and a request from there gets the rest.
 */
import { createHash } from 'node:crypto';
import { CodecError } from '../codec/errors.js';
import { MAX_PROGRESSIVE_SAMPLES } from '../codec/mp4/sample-tables.js';
import { recordOption } from '../codec/mp4/sample-entry.js';
import type { SegmentRecord } from '../recording/store.js';
import type { HeaderBuilder } from './header-builder.js';
import type { AudioRecord } from '../codec/mp4/audio-sample-entry.js';
import type { ProgressiveAudio } from '../codec/mp4/progressive-audio.js';
import {
  audioWallMs,
  keyframeAtOrAfter,
  keyframeAtOrBefore,
  sampleWallMs,
  type SegmentTable,
  type SegmentTables,
} from './tables.js';

export const EXPORT_TIMESCALE = 45000;

/** Bytes of one segment file, placed in the virtual file. */
export interface Piece {
  /** Offset in the virtual file. */
  at: number;
  file: string;
  offset: number;
  length: number;
}

export interface ExportPlan {
  camera: string;
  /** Wall time (ms) of video time 0. */
  startMs: number;
  /** Wall time (ms) where the video ends. */
  endMs: number;
  /** Where a change of picture format cut the export short (wall ms), if it did. */
  cutMs?: number;
  /** Video duration, seconds. */
  durationSeconds: number;
  header: Uint8Array;
  /** header.length + the samples' bytes. */
  size: number;
  pieces: Piece[];
  etag: string;
  /** Newest segment's end, for Last-Modified. */
  lastModified: Date;
  /** Built while a segment in it was still being written: it may grow, so it is not kept long. */
  growing: boolean;
  /** Memory held, for the plan cache's bound. */
  bytes: number;
}

export interface ExportRequest {
  camera: string;
  start: number;
  end: number;
  /** Start at the first keyframe at or after `start` (clip links: nothing before their range). */
  notBefore?: boolean;
  /** Leave the camera's audio out (`?audio=0`); by default an export carries it where it was recorded. */
  noAudio?: boolean;
}

/** Wall ms → 45 kHz position, relative to `originMs`. */
function ticksFrom(originMs: number, wallMs: number): number {
  return Math.round(((wallMs - originMs) * EXPORT_TIMESCALE) / 1000);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A run of samples chosen from one segment: [first, last). */
interface Run {
  table: SegmentTable;
  first: number;
  last: number;
}

/** What a request resolves to before anything is laid out: the runs, and a signature naming them. */
export interface ChosenRuns {
  runs: Run[];
  total: number;
  reference: SegmentTable;
  cutMs?: number;
  growing: boolean;
  /** Two requests with the same signature (starts 1 ms apart: the same keyframe) make the same file. */
  signature: string;
}

/** Samples laid out between two yields to the event loop (a few milliseconds of work). */
const SAMPLES_PER_SLICE = 65_536;

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Which samples of `segments` (the catalog's, oldest first) the request covers; undefined when
 * nothing playable is in the range. Cheap once the tables are cached: a segment inside the range
 * is taken whole without looking at its samples.
 */
export async function chooseRuns(
  request: ExportRequest,
  segments: readonly SegmentRecord[],
  tables: SegmentTables,
): Promise<ChosenRuns | undefined> {
  const { start, end } = request;
  const runs: Run[] = [];
  let total = 0;
  let cutMs: number | undefined;
  let growing = false;
  let reference: SegmentTable | undefined;
  const inRange = segments.filter((record) => record.endMs > start && record.startMs < end);
  const loaded = await loadTables(inRange, tables);
  for (const [k, record] of inRange.entries()) {
    const table = loaded[k];
    if (!table || table.count === 0) continue;
    if (
      reference &&
      (table.codec !== reference.codec ||
        !equalBytes(table.description, reference.description) ||
        table.width !== reference.width ||
        table.height !== reference.height)
    ) {
      cutMs = Math.max(start, record.startMs);
      break;
    }
    let first = 0;
    if (!reference) {
      first = request.notBefore ? keyframeAtOrAfter(table, start) : keyframeAtOrBefore(table, start);
      if (first < 0) continue; // no keyframe in range here: the next segment starts with one
    }
    let last = table.count;
    if (sampleWallMs(table, table.count - 1) >= end) {
      last = first;
      while (last < table.count && sampleWallMs(table, last) < end) last++;
    }
    if (last === first) continue;
    if (total + (last - first) > MAX_PROGRESSIVE_SAMPLES) {
      cutMs = sampleWallMs(table, first);
      break;
    }
    reference ??= table;
    total += last - first;
    runs.push({ table, first, last });
    if (record.open) growing = true;
  }
  if (!reference || total === 0) return undefined;
  const hash = createHash('sha256');
  hash.update(`${request.camera} ${cutMs ?? ''} ${request.noAudio ? 'silent' : ''}`);
  for (const { table, first, last } of runs)
    hash.update(` ${table.id}:${table.file}:${first}-${last}:${table.validEnd}`);
  const signature = hash.digest('base64url').slice(0, 27);
  return { runs, total, reference, ...(cutMs !== undefined ? { cutMs } : {}), growing, signature };
}

/**
 * Lays the chosen samples out as one file and builds its header (in `headers`' worker thread).
 * Works in slices, yielding to the event loop between them, so a day's export never stalls live video.
 */
export async function layOut(request: ExportRequest, chosen: ChosenRuns, headers: HeaderBuilder): Promise<ExportPlan> {
  const { runs, total, reference, cutMs, growing } = chosen;
  const origin = sampleWallMs(runs[0]!.table, runs[0]!.first);
  const sizes = new Uint32Array(total);
  const durations = new Uint32Array(total);
  const keyframes = new Uint8Array(total);
  const positions = new Float64Array(total + 1);
  let compositionOffsets: Int32Array | undefined;
  const pieces: Piece[] = [];
  let n = 0;
  let payload = 0;
  let position = 0;
  for (const { table, first, last } of runs) {
    // A segment is placed at its wall time, unless that overlaps the previous one (a clock step
    // back): then right after it. Inside a segment, the file's own decode times.
    const scale = EXPORT_TIMESCALE / table.timescale;
    const wallBase = ticksFrom(origin, sampleWallMs(table, first));
    const base = n === 0 ? 0 : Math.max(wallBase, position);
    const t0 = table.decodeTimes[first]!;
    for (let i = first; i < last; i++) {
      positions[n] = Math.max(base + Math.round((table.decodeTimes[i]! - t0) * scale), n ? positions[n - 1]! + 1 : 0);
      sizes[n] = table.sizes[i]!;
      keyframes[n] = table.keyframes[i]!;
      const cto = table.compositionOffsets?.[i] ?? 0;
      if (cto !== 0) {
        compositionOffsets ??= new Int32Array(total);
        compositionOffsets[n] = Math.round(cto * scale);
      }
      const offset = table.offsets[i]!;
      const length = table.sizes[i]!;
      const previous = pieces[pieces.length - 1];
      if (previous && previous.file === table.file && previous.offset + previous.length === offset) {
        previous.length += length;
      } else {
        pieces.push({ at: payload, file: table.file, offset, length });
      }
      payload += length;
      n++;
      if (n % SAMPLES_PER_SLICE === 0) await yieldToLoop();
    }
    // Where the segment's last sample ends by its own duration: the next segment starts no earlier.
    position = positions[n - 1]! + Math.max(1, Math.round(table.durations[last - 1]! * scale));
  }
  positions[total] = position;
  for (let i = 0; i < total; i++) {
    // Up to the next sample: a gap after a segment makes its last frame a held one.
    const next = i + 1 < total ? positions[i + 1]! : positions[total]!;
    const d = next - positions[i]!;
    if (d > 0xffffffff) throw new CodecError('too-large', `a held frame of ${d} ticks`);
    durations[i] = d;
  }

  const audio = request.noAudio ? undefined : await layOutAudio(runs, origin, position, payload, pieces);

  // The arrays go to the worker: nothing here reads them after this.
  const { header, payloadLength, duration } = await headers.build({
    width: reference.width,
    height: reference.height,
    ...recordOption(reference),
    timescale: EXPORT_TIMESCALE,
    sizes,
    durations,
    keyframes,
    ...(compositionOffsets ? { compositionOffsets } : {}),
    creationTimeMs: origin,
    ...(audio ? { audio } : {}),
  });
  for (const piece of pieces) piece.at += header.length;
  const lastRun = runs[runs.length - 1]!;
  const endMs = origin + (duration * 1000) / EXPORT_TIMESCALE;
  return {
    camera: request.camera,
    startMs: Math.round(origin),
    endMs: Math.round(endMs),
    ...(cutMs !== undefined ? { cutMs } : {}),
    durationSeconds: duration / EXPORT_TIMESCALE,
    header,
    size: header.length + payloadLength,
    pieces,
    etag: `"${chosen.signature}"`,
    lastModified: new Date(Math.min(Date.now(), sampleWallMs(lastRun.table, lastRun.last - 1) + 1000)),
    growing,
    bytes: header.length + pieces.length * 64 + 1024,
  };
}

function sameRecord(a: AudioRecord, b: AudioRecord): boolean {
  return (
    a.codec === b.codec &&
    a.sampleRate === b.sampleRate &&
    a.channels === b.channels &&
    equalBytes(a.description, b.description)
  );
}

/**
 * The audio of the runs (of the segments that recorded some, with the first one's setup): the samples
 * from the video's first picture to its end, placed like the video (at their wall time, a segment's own
 * decode times inside it; a gap makes the sample before it longer), their bytes after the video's.
 * `videoEnd` is the video's end in export ticks, `payload` the video's bytes. Undefined without audio.
 */
async function layOutAudio(
  runs: readonly Run[],
  origin: number,
  videoEnd: number,
  payload: number,
  pieces: Piece[],
): Promise<ProgressiveAudio | undefined> {
  const record = runs.find((r) => r.table.audio && r.table.audio.count > 0)?.table.audio?.record;
  if (!record) return undefined;
  const rate = record.sampleRate;
  const endMs = origin + (videoEnd * 1000) / EXPORT_TIMESCALE;
  const sizes: number[] = [];
  const positions: number[] = [];
  const lengths: number[] = [];
  const chunkStarts: number[] = [];
  let position = 0;
  let at = payload;
  for (const [r, { table, first }] of runs.entries()) {
    const audio = table.audio;
    if (!audio || audio.count === 0 || !sameRecord(audio.record, record)) continue;
    // From the run's first picture (the export's for the first run) to the next run's, or the end.
    const fromMs = sampleWallMs(table, first);
    const next = runs[r + 1];
    const toMs = next ? sampleWallMs(next.table, next.first) : endMs;
    let i = 0;
    while (i < audio.count && audioWallMs(table, audio, i) < fromMs) i++;
    const t0 = audio.decodeTimes[i] ?? 0;
    const wallBase = Math.round(((audioWallMs(table, audio, Math.min(i, audio.count - 1)) - origin) * rate) / 1000);
    const base = positions.length === 0 ? wallBase : Math.max(wallBase, position);
    let previousEnd = -1;
    for (; i < audio.count && audioWallMs(table, audio, i) < toMs; i++) {
      const p = base + (audio.decodeTimes[i]! - t0);
      if (positions.length && p < positions[positions.length - 1]! + 1) continue;
      positions.push(p);
      lengths.push(audio.durations[i]!);
      const offset = audio.offsets[i]!;
      const size = audio.sizes[i]!;
      sizes.push(size);
      const previous = pieces[pieces.length - 1];
      const contiguous = previousEnd === offset && previous?.file === table.file;
      if (contiguous) previous!.length += size;
      else pieces.push({ at, file: table.file, offset, length: size });
      chunkStarts.push(contiguous ? 0 : 1);
      previousEnd = offset + size;
      at += size;
      if (positions.length % SAMPLES_PER_SLICE === 0) await yieldToLoop();
    }
    if (positions.length) position = positions[positions.length - 1]! + lengths[lengths.length - 1]!;
  }
  if (positions.length === 0) return undefined;
  const durations = new Uint32Array(positions.length);
  for (let k = 0; k < positions.length; k++) {
    // Up to the next sample: a gap makes the sample before it longer (as held frames in the video).
    const d = k + 1 < positions.length ? positions[k + 1]! - positions[k]! : lengths[k]!;
    if (d > 0xffffffff) throw new CodecError('too-large', `an audio gap of ${d} ticks`);
    durations[k] = d;
  }
  return {
    record,
    sizes: Uint32Array.from(sizes),
    durations,
    chunkStarts: Uint8Array.from(chunkStarts),
    delay: Math.max(0, positions[0]!),
  };
}

/** Plans the export (chooseRuns, then layOut); undefined when nothing playable is in the range. */
export async function planExport(
  request: ExportRequest,
  segments: readonly SegmentRecord[],
  tables: SegmentTables,
  headers: HeaderBuilder,
): Promise<ExportPlan | undefined> {
  const chosen = await chooseRuns(request, segments, tables);
  return chosen && layOut(request, chosen, headers);
}

/** Files read at once while a plan's tables load. */
const PARALLEL_READS = 8;

/** The tables of the records, in order, read a few at a time. */
async function loadTables(
  records: readonly SegmentRecord[],
  tables: SegmentTables,
): Promise<(SegmentTable | undefined)[]> {
  const out: (SegmentTable | undefined)[] = new Array<SegmentTable | undefined>(records.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < records.length) {
      const i = next++;
      out[i] = await tables.get(records[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, records.length) }, worker));
  return out;
}

/** `door-20261201-040000-10m00s.mp4`: the camera, the start (UTC) and the duration. */
export function exportFileName(plan: ExportPlan): string {
  const d = new Date(plan.startMs);
  const pad = (v: number, w = 2): string => String(v).padStart(w, '0');
  const stamp =
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  const s = Math.round(plan.durationSeconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const duration = h ? `${h}h${pad(m)}m${pad(s % 60)}s` : `${m}m${pad(s % 60)}s`;
  return `${plan.camera}-${stamp}-${duration}.mp4`;
}
