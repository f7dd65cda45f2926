/**
 * The recorder's hot path: access units in, segment work out. A segment starts at a keyframe and
 * ends at a keyframe after the segment duration; within it, samples are grouped in fragments of
 * about a second (cut at a keyframe after half of that). A sample's duration is known only when the
 * next unit comes, so the newest unit is held until then. Nothing here waits or touches the disk:
 * every open, fragment and close goes to the SegmentQueue.
 */
import { join } from 'node:path';
import type { Sample } from '../codec/mp4/fmp4.js';
import { mp4AudioTrack } from '../codec/mp4/audio-track.js';
import {
  VIDEO_CLOCK_RATE,
  type AccessUnit,
  type AudioConfig,
  type AudioUnit,
  type TrackConfig,
} from '../media/index.js';
import { TICKS_PER_MS, TIMESCALE, type Segment, type SegmentAudio, type SegmentQueue } from './segment-queue.js';

/** A fragment ends after this much video, or at a keyframe after half of it. */
const FRAGMENT_MS = 1000;
/** A sample whose successor never came (the segment's last) lasts as long as the one before it. */
const DEFAULT_DURATION = 3000;
/**
 * A segment that follows the previous one without a break starts where it ended, unless the media
 * clock's wall mapping puts it later by more than this (the camera's clock drifting from ours); a mapping
 * that puts it earlier never makes it overlap the one before.
 */
const CHAIN_MS = 250;

/** What the segmenter tells its recorder. */
export interface SegmenterEvents {
  /** A segment is about to open at `startMs` (the recorder writes the gap before it). */
  starting(startMs: number): void;
  /** The queue had no room: the rest of the segment, from `endMs`, is not recorded. */
  dropped(endMs: number): void;
}

function sameConfig(a: TrackConfig, b: TrackConfig): boolean {
  if (a === b) return true;
  if (a.codec !== b.codec || a.width !== b.width || a.height !== b.height) return false;
  const x = a.description;
  const y = b.description;
  return !!x && !!y && x.length === y.length && Buffer.from(x).equals(Buffer.from(y));
}

/** `2026-12-01` for the day folder of a segment starting at `ms` (UTC). */
function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export class Segmenter {
  private segment: Segment | undefined;
  /** The newest unit, its duration unknown until the next one comes. */
  private held: { unit: AccessUnit; ticks: number } | undefined;
  private lastDuration = DEFAULT_DURATION;
  private fragment: Sample[] = [];
  private fragmentBase = 0;
  private fragmentBytes = 0;
  /** The camera's newest audio configuration: a segment that opens takes it. */
  private audioConfig: AudioConfig | undefined;
  /** The fragment's audio samples so far, the first one's decode time, where the next one goes. */
  private audio: Sample[] = [];
  private audioBase = 0;
  private audioNext: number | undefined;
  /** The newest unit pushed: its wall time is the media clock's latest mapping. */
  private latest: AccessUnit | undefined;
  /** The open segment's first unit, until its file is opened (at its first fragment). */
  private first: AccessUnit | undefined;
  /** Where the previous segment ended, when the open one follows it without a break. */
  private chainFrom: number | undefined;

  constructor(
    private readonly camera: string,
    private readonly segmentDurationMs: number,
    private readonly queue: SegmentQueue,
    private readonly events: SegmenterEvents,
  ) {}

  /** Whether a segment is open (the camera is being recorded). */
  get recording(): boolean {
    return this.segment !== undefined;
  }

  push(unit: AccessUnit): void {
    this.latest = unit;
    const segment = this.segment;
    if (segment && !sameConfig(segment.config, unit.config)) this.end();
    if (!this.segment) {
      if (unit.keyframe && this.queue.hasRoomToStart()) this.start(unit);
      return;
    }
    const current = this.segment;
    const held = this.held!;
    // The media clock's decode times: a sample lasts until the next one's dts (the camera's timing, not
    // the arrival's); the track's clock never steps back, but a unit made by hand might.
    let ticks = this.ticksOf(unit, current);
    if (ticks <= held.ticks) ticks = held.ticks + 1;
    this.pushHeld(ticks - held.ticks);
    const fragmentTicks = ticks - this.fragmentBase;
    if (unit.keyframe && ticks / TICKS_PER_MS >= this.segmentDurationMs) {
      this.flushFragment();
      const end = this.segment ? this.segment.startMs + this.segment.queuedTicks / TICKS_PER_MS : undefined;
      this.close();
      if (this.segment === undefined && this.queue.hasRoomToStart()) this.start(unit, end);
      return;
    }
    const cut =
      fragmentTicks >= FRAGMENT_MS * TICKS_PER_MS ||
      (unit.keyframe && fragmentTicks >= (FRAGMENT_MS / 2) * TICKS_PER_MS);
    if (cut) this.flushFragment();
    if (this.segment) this.held = { unit, ticks };
  }

  /**
   * A unit of the camera's audio: written in the fragment of its time, when the open segment has an audio
   * track of its configuration (another configuration waits for the next segment). A unit before the
   * segment's start or overlapping the one before is left out; a gap makes the sample before it longer.
   */
  pushAudio(unit: AudioUnit): void {
    this.audioConfig = unit.config;
    const audio = this.segment?.audio;
    if (!audio || audio.config !== unit.config) return;
    const t = unit.pts - audio.originPts;
    if (t < 0 || (this.audioNext !== undefined && t < this.audioNext - unit.samples / 2)) return;
    let data: Uint8Array;
    try {
      data = audio.track.sample(unit.data, unit.samples);
    } catch {
      return; // a unit the track cannot take (a G.711 unit longer than its FLAC block): left out
    }
    // Continuous with the sample before unless a gap lies between them (the hub keeps pts continuous).
    const next = this.audioNext;
    const at = next !== undefined && t < next + unit.samples / 2 ? next : t;
    const last = this.audio[this.audio.length - 1];
    if (last && next !== undefined && at > next) last.duration += at - next;
    if (!last) this.audioBase = at;
    this.audio.push({ data, duration: unit.samples, keyframe: true });
    this.fragmentBytes += data.length;
    this.audioNext = at + unit.samples;
  }

  /** Ends the open segment (its last sample lasts as long as the one before); its end (ms). */
  end(): number | undefined {
    if (!this.segment || !this.held) return undefined;
    this.pushHeld(this.lastDuration);
    const end = this.segment.startMs + (this.segment.queuedTicks + this.fragmentTicks()) / TICKS_PER_MS;
    this.flushFragment();
    this.close();
    return end;
  }

  /** Forgets the open segment without queueing anything (the disk failed under it). */
  reset(): void {
    this.segment = undefined;
    this.first = undefined;
    this.held = undefined;
    this.fragment = [];
    this.fragmentBytes = 0;
    this.audio = [];
    this.audioNext = undefined;
  }

  /** The unit's decode time in the segment's ticks, from its first sample's. */
  private ticksOf(unit: AccessUnit, segment: Segment): number {
    return Math.round(((unit.dts - segment.originDts) * TIMESCALE) / VIDEO_CLOCK_RATE);
  }

  private fragmentTicks(): number {
    let t = 0;
    for (const s of this.fragment) t += s.duration;
    return t;
  }

  private pushHeld(duration: number): void {
    const held = this.held!;
    this.lastDuration = duration;
    const { unit } = held;
    // B-frames: shown this long after they are decoded (trun's composition offsets).
    const offset = Math.round(((unit.pts - unit.dts) * TIMESCALE) / VIDEO_CLOCK_RATE);
    this.fragment.push({
      data: unit.data,
      duration,
      keyframe: unit.keyframe,
      ...(offset !== 0 ? { compositionOffset: offset } : {}),
    });
    this.fragmentBytes += held.unit.data.length;
    this.held = undefined;
  }

  /** A segment begins at this keyframe; its file opens with its first fragment (open()). */
  private start(unit: AccessUnit, chainFrom?: number): void {
    const startMs = Math.floor(unit.wallTime);
    const audio = this.segmentAudio(unit);
    this.segment = {
      config: unit.config,
      ...(audio ? { audio } : {}),
      startMs,
      origin: unit.wallTime,
      originDts: unit.dts,
      file: '',
      sequence: 1,
      queuedTicks: 0,
      writtenEndMs: startMs,
      writtenBytes: 0,
    };
    this.first = unit;
    this.chainFrom = chainFrom;
    this.held = { unit, ticks: 0 };
    this.fragment = [];
    this.fragmentBase = 0;
    this.fragmentBytes = 0;
    this.audio = [];
    this.audioNext = undefined;
  }

  /**
   * Opens the segment's file, a fragment into it: its wall time is the media clock's mapping of its first
   * picture as the newest unit says it (a mapping anchored late at a source's start has moved earlier by
   * then), or where the previous segment ended when it follows it and the mapping is not later than that
   * by more than CHAIN_MS.
   */
  private open(segment: Segment): void {
    const first = this.first!;
    const latest = this.latest ?? first;
    // Decode time 0 of the file is the first unit's dts (its picture shows a composition offset later).
    const mapped = latest.wallTime - ((latest.pts - first.dts) * 1000) / VIDEO_CLOCK_RATE;
    // Earlier than where the previous one ended is an overlap, never a break: the mapping moved earlier
    // (anchored late, on a busy machine) while the camera's own times went on without a break.
    const chained = this.chainFrom !== undefined && mapped - this.chainFrom <= CHAIN_MS;
    const origin = chained ? this.chainFrom! : mapped;
    const startMs = Math.floor(origin);
    segment.startMs = startMs;
    segment.origin = origin;
    segment.writtenEndMs = startMs;
    segment.file = join(this.camera, day(startMs), `${startMs}.mp4`);
    this.first = undefined;
    this.events.starting(startMs);
    this.queue.push({ kind: 'open', segment });
  }

  /** The audio track of a segment starting with `unit`: the camera's current audio, from that picture's time. */
  private segmentAudio(unit: AccessUnit): SegmentAudio | undefined {
    const config = this.audioConfig;
    if (!config) return undefined;
    try {
      const track = mp4AudioTrack(config);
      // Audio decode time 0 is the file's: its first picture's dts.
      return { config, track, originPts: Math.round((unit.dts * config.sampleRate) / VIDEO_CLOCK_RATE) };
    } catch {
      return undefined; // a configuration MP4 cannot hold: the segment is video only
    }
  }

  private flushFragment(): void {
    const segment = this.segment;
    if (!segment || this.fragment.length === 0) return;
    const samples = this.fragment;
    const bytes = this.fragmentBytes;
    const duration = this.fragmentTicks();
    const audio = this.audio.length ? { samples: this.audio, base: this.audioBase } : undefined;
    this.fragment = [];
    this.fragmentBytes = 0;
    this.audio = [];
    if (this.first && !this.queue.fits(bytes)) {
      // No room for its first fragment: the segment never was (the next one's gap covers its time).
      this.reset();
      return;
    }
    if (this.first) this.open(segment);
    if (!this.queue.fits(bytes)) {
      // The disk fell behind: the rest of this segment is not recorded; a new one starts at a keyframe.
      const endMs = segment.startMs + segment.queuedTicks / TICKS_PER_MS;
      this.close();
      this.events.dropped(endMs);
      return;
    }
    this.queue.push({
      kind: 'fragment',
      segment,
      samples,
      base: this.fragmentBase,
      sequence: segment.sequence++,
      bytes,
      ...(audio ? { audio } : {}),
    });
    segment.queuedTicks += duration;
    this.fragmentBase += duration;
  }

  private close(): void {
    const segment = this.segment;
    if (!segment) return;
    if (this.first) {
      this.reset(); // its file was never opened
      return;
    }
    this.reset();
    this.queue.push({ kind: 'close', segment });
  }
}
