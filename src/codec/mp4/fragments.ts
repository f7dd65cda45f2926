/**
 * Reads a fragmented MP4 file back (one H.264 or H.265 video track and an optional audio track, as
 * fmp4.ts and a recorder write it, or ffmpeg's `-movflags frag_keyframe+empty_moov`): the
 * init segment's description (size, avcC, timescale) and, per fragment, where
 * each sample's bytes are. Only box headers, the moov and the moof boxes are
 * read, never the mdat payloads, so a 60-second segment costs a few small reads.
 *
 * Files on disk are untrusted (a crash mid-write, a full disk, a foreign file):
 * counts and sizes are bounded; a truncated or garbage tail ends the fragment
 * list, and `validEnd` says where the last whole fragment ends; a file without a
 * whole init segment is CodecError. Pure code over a `RandomAccess` (no Node
 * built-ins: src/codec runs in the browser too); the server's file reader is
 * `readFragmentedFile` in src/playback/fragment-file.ts.
 */
import { CodecError } from '../errors.js';
import type { NalCodec } from '../video.js';
import { parseRecord, sampleEntryCodec } from './sample-entry.js';
import { readBoxes, type BoxInfo } from './boxes.js';
import { parseAudioSampleEntry, type AudioRecord } from './audio-sample-entry.js';

export interface SampleInfo {
  /** Absolute offset of the sample's first byte in the file. */
  offset: number;
  size: number;
  /** In timescale ticks. */
  duration: number;
  keyframe: boolean;
  /** Presentation time minus decode time, in ticks. */
  compositionOffset: number;
}

export interface FragmentInfo {
  /** Offset of the moof box. */
  offset: number;
  /** moof + mdat (and nothing else). */
  size: number;
  sequenceNumber: number;
  /** Decode time of the first sample, ticks (tfdt). */
  baseDecodeTime: number;
  /** Sum of the samples' durations, ticks. */
  duration: number;
  samples: SampleInfo[];
  /** The audio track's samples in this fragment, when the file has one and the fragment holds some. */
  audio?: { baseDecodeTime: number; samples: SampleInfo[] };
}

export interface FragmentedFile {
  width: number;
  height: number;
  /** What the track is: H.264 (an avc1 or avc3 sample entry) or H.265 (hvc1, hev1). */
  codec: NalCodec;
  /** Its decoder configuration record: the avcC or hvcC box's body. */
  description: Uint8Array;
  /** Ticks per second of the track (mdhd). */
  timescale: number;
  /** The file's audio track (AAC, FLAC, Opus), when it has one: its setup; its timescale is its sample rate. */
  audio?: { record: AudioRecord; timescale: number };
  /** End of the moov box. */
  initEnd: number;
  fragments: FragmentInfo[];
  /** End of the last whole fragment (initEnd without one): bytes after it are a partial write or garbage. */
  validEnd: number;
  /** Bytes in the file when it was read. */
  fileSize: number;
}

/** A file (or anything) read at offsets. */
export interface RandomAccess {
  /** Bytes available now. */
  readonly size: number;
  /** `length` bytes at `offset`; fewer only where the data ends. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** More fragments than this in one file: CodecError too-large (a day of 1-second fragments is 86400). */
export const MAX_FRAGMENTS = 100000;
/** More samples than this in one file: CodecError too-large (24 h at 30 fps is 2.6 million). */
export const MAX_FILE_SAMPLES = 4_000_000;
/** More samples than this in one fragment ends the list there (fmp4.ts writes at most 100000). */
export const MAX_FRAGMENT_SAMPLES = 100000;
/** A moov over this size: CodecError too-large. */
export const MAX_MOOV_BYTES = 1024 * 1024;
/** A moof over this size ends the list there (100000 samples of 16 bytes is 1.6 MB). */
export const MAX_MOOF_BYTES = 4 * 1024 * 1024;
/** Top-level boxes before the moov (ftyp, free, …) over this: CodecError. */
const MAX_LEADING_BOXES = 64;

export interface ReadFragmentsOptions {
  /**
   * A previous result for the same file, now grown (a segment being written):
   * its fragments are kept and the reading goes on from its validEnd.
   */
  resume?: FragmentedFile;
}

/** A RandomAccess over bytes in memory. */
export function bytesAccess(data: Uint8Array): RandomAccess {
  return {
    size: data.length,
    read: (offset, length) =>
      Promise.resolve(data.subarray(Math.min(offset, data.length), Math.min(offset + length, data.length))),
  };
}

interface Header {
  type: string;
  size: number;
  headerSize: number;
}

/** A box header at bytes[0..] (the box at file offset `at`), or undefined when cut off or not a box header. */
function parseHeader(bytes: Uint8Array, at: number, fileSize: number): Header | undefined {
  if (bytes.length < 8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let size = view.getUint32(0);
  let headerSize = 8;
  for (let i = 4; i < 8; i++) if (bytes[i]! < 0x20 || bytes[i]! > 0x7e) return undefined;
  const type = String.fromCharCode(bytes[4]!, bytes[5]!, bytes[6]!, bytes[7]!);
  if (size === 1) {
    if (bytes.length < 16) return undefined;
    const large = view.getBigUint64(8);
    if (large > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    size = Number(large);
    headerSize = 16;
  } else if (size === 0) {
    size = fileSize - at; // to the end of the file
  }
  if (size < headerSize) return undefined;
  return { type, size, headerSize };
}

/** A top-level box header at `at`, or undefined when the bytes are cut off or are not a box header. */
async function readHeader(file: RandomAccess, at: number, fileSize: number): Promise<Header | undefined> {
  if (fileSize - at < 8) return undefined;
  return parseHeader(await file.read(at, Math.min(16, fileSize - at)), at, fileSize);
}

/** Bytes read at once where a fragment starts: its moof and the mdat's header, most of the time. */
const FRAGMENT_READ = 16 * 1024;

interface TrackDefaults {
  trackId: number;
  sampleDescriptionIndex: number;
  duration: number;
  size: number;
  flags: number;
}

interface Init {
  width: number;
  height: number;
  codec: NalCodec;
  description: Uint8Array;
  timescale: number;
  defaults: TrackDefaults;
  audio?: { record: AudioRecord; timescale: number; defaults: TrackDefaults };
}

function child(data: Uint8Array, parent: BoxInfo, type: string, skip = 0): BoxInfo | undefined {
  return readBoxes(data, parent.start + parent.headerSize + skip, parent.end, 1000).find((b) => b.type === type);
}

function children(data: Uint8Array, parent: BoxInfo, type: string): BoxInfo[] {
  return readBoxes(data, parent.start + parent.headerSize, parent.end, 1000).filter((b) => b.type === type);
}

/** Bounds-checked big-endian reads of one box's body. */
class BodyReader {
  private readonly view: DataView;
  private at: number;
  private readonly end: number;

  constructor(
    data: Uint8Array,
    private readonly box: BoxInfo,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.at = box.start + box.headerSize;
    this.end = box.end;
  }

  private need(n: number): number {
    if (this.end - this.at < n) throw new CodecError('truncated', `${this.box.type} box too short`);
    const at = this.at;
    this.at += n;
    return at;
  }

  skip(n: number): this {
    this.need(n);
    return this;
  }

  u8(): number {
    return this.view.getUint8(this.need(1));
  }

  u16(): number {
    return this.view.getUint16(this.need(2));
  }

  u32(): number {
    return this.view.getUint32(this.need(4));
  }

  i32(): number {
    return this.view.getInt32(this.need(4));
  }

  u64(): number {
    const value = this.view.getBigUint64(this.need(8));
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new CodecError('too-large', `${this.box.type}: 64-bit value`);
    return Number(value);
  }

  /** Version (high byte) and flags (low 24 bits) of a full box. */
  versionAndFlags(): { version: number; flags: number } {
    const word = this.u32();
    return { version: word >>> 24, flags: word & 0xffffff };
  }
}

function trackDefaults(moov: Uint8Array, mvex: BoxInfo | undefined, trackId: number): TrackDefaults {
  const defaults: TrackDefaults = { trackId, sampleDescriptionIndex: 1, duration: 0, size: 0, flags: 0 };
  for (const trex of mvex ? children(moov, mvex, 'trex') : []) {
    const r = new BodyReader(moov, trex);
    r.versionAndFlags();
    if (r.u32() !== trackId) continue;
    defaults.sampleDescriptionIndex = r.u32();
    defaults.duration = r.u32();
    defaults.size = r.u32();
    defaults.flags = r.u32();
  }
  return defaults;
}

function parseInit(moov: Uint8Array): Init {
  const root: BoxInfo = { type: 'moov', start: 0, size: moov.length, headerSize: 8, end: moov.length };
  const mvex = child(moov, root, 'mvex');
  let video: Omit<Init, 'audio'> | undefined;
  let audio: Init['audio'];
  for (const trak of children(moov, root, 'trak')) {
    const tkhd = child(moov, trak, 'tkhd');
    const mdia = child(moov, trak, 'mdia');
    if (!tkhd || !mdia) continue;
    const hdlr = child(moov, mdia, 'hdlr');
    if (!hdlr) continue;
    const handler = new BodyReader(moov, hdlr).skip(8).u32();
    const isVideo = handler === 0x76696465; // 'vide'
    if (!isVideo && (handler !== 0x736f756e || audio)) continue; // 'soun': the first audio track
    if (isVideo && video) continue;
    const tk = new BodyReader(moov, tkhd);
    const { version: tkVersion } = tk.versionAndFlags();
    const trackId = tk.skip(tkVersion === 1 ? 16 : 8).u32();
    const mdhd = child(moov, mdia, 'mdhd');
    if (!mdhd) throw new CodecError('invalid', 'track without mdhd');
    const md = new BodyReader(moov, mdhd);
    const { version: mdVersion } = md.versionAndFlags();
    const timescale = md.skip(mdVersion === 1 ? 16 : 8).u32();
    if (timescale === 0) throw new CodecError('invalid', 'timescale 0');
    const minf = child(moov, mdia, 'minf');
    const stbl = minf && child(moov, minf, 'stbl');
    const stsd = stbl && child(moov, stbl, 'stsd');
    if (!stsd) throw new CodecError('invalid', 'track without stsd');
    const entry = readBoxes(moov, stsd.start + stsd.headerSize + 8, stsd.end, 16)[0];
    if (!isVideo) {
      // An audio track camrelay cannot read is left out, not the file.
      try {
        if (entry)
          audio = {
            record: parseAudioSampleEntry(moov, entry),
            timescale,
            defaults: trackDefaults(moov, mvex, trackId),
          };
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
      }
      continue;
    }
    if (!entry) throw new CodecError('unsupported', 'sample entry missing: not H.264 or H.265');
    const { codec, record } = sampleEntryCodec(entry);
    const fields = new BodyReader(moov, entry).skip(24);
    const width = fields.u16();
    const height = fields.u16();
    const recordBox = child(moov, entry, record, 78);
    if (!recordBox) throw new CodecError('invalid', `${entry.type} sample entry without ${record}`);
    const description = moov.slice(recordBox.start + recordBox.headerSize, recordBox.end);
    parseRecord({ codec, description }); // throws CodecError when it is not one
    video = { width, height, codec, description, timescale, defaults: trackDefaults(moov, mvex, trackId) };
  }
  if (!video) throw new CodecError('unsupported', 'no video track');
  return audio ? { ...video, audio } : video;
}

const TFHD_BASE_DATA_OFFSET = 0x000001;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x000002;
const TFHD_DEFAULT_DURATION = 0x000008;
const TFHD_DEFAULT_SIZE = 0x000010;
const TFHD_DEFAULT_FLAGS = 0x000020;
const TRUN_DATA_OFFSET = 0x000001;
const TRUN_FIRST_SAMPLE_FLAGS = 0x000004;
const TRUN_DURATION = 0x000100;
const TRUN_SIZE = 0x000200;
const TRUN_FLAGS = 0x000400;
const TRUN_COMPOSITION_OFFSET = 0x000800;
const SAMPLE_IS_NON_SYNC = 0x00010000;

/**
 * The samples of one moof (its bytes, placed at `moofOffset` in the file) of our track, their
 * offsets absolute; CodecError when a field lies.
 */
function parseMoof(
  moof: Uint8Array,
  moofOffset: number,
  init: Init,
): {
  sequenceNumber: number;
  baseDecodeTime: number;
  samples: SampleInfo[];
  audio?: { baseDecodeTime: number; samples: SampleInfo[] };
} {
  const root: BoxInfo = { type: 'moof', start: 0, size: moof.length, headerSize: 8, end: moof.length };
  const mfhd = child(moof, root, 'mfhd');
  if (!mfhd) throw new CodecError('invalid', 'moof without mfhd');
  const mf = new BodyReader(moof, mfhd);
  mf.versionAndFlags();
  const sequenceNumber = mf.u32();
  let videoBase: number | undefined;
  let audioBase: number | undefined;
  const videoSamples: SampleInfo[] = [];
  const audioSamples: SampleInfo[] = [];
  for (const traf of children(moof, root, 'traf')) {
    const tfhd = child(moof, traf, 'tfhd');
    if (!tfhd) throw new CodecError('invalid', 'traf without tfhd');
    const th = new BodyReader(moof, tfhd);
    const { flags: tfFlags } = th.versionAndFlags();
    const trackId = th.u32();
    const isAudio = init.audio !== undefined && trackId === init.audio.defaults.trackId;
    if (trackId !== init.defaults.trackId && !isAudio) continue;
    const defaults = isAudio ? init.audio!.defaults : init.defaults;
    const samples = isAudio ? audioSamples : videoSamples;
    let base = moofOffset;
    if (tfFlags & TFHD_BASE_DATA_OFFSET) base = th.u64();
    if (tfFlags & TFHD_SAMPLE_DESCRIPTION_INDEX) th.u32();
    const defaultDuration = tfFlags & TFHD_DEFAULT_DURATION ? th.u32() : defaults.duration;
    const defaultSize = tfFlags & TFHD_DEFAULT_SIZE ? th.u32() : defaults.size;
    const defaultFlags = tfFlags & TFHD_DEFAULT_FLAGS ? th.u32() : defaults.flags;
    const tfdt = child(moof, traf, 'tfdt');
    if (tfdt) {
      const td = new BodyReader(moof, tfdt);
      const { version } = td.versionAndFlags();
      const time = version === 1 ? td.u64() : td.u32();
      if (isAudio) audioBase ??= time;
      else videoBase ??= time;
    }
    let next = base; // where a trun without data_offset starts: after the previous one's data
    for (const trun of children(moof, traf, 'trun')) {
      const tr = new BodyReader(moof, trun);
      const { version, flags } = tr.versionAndFlags();
      const count = tr.u32();
      if (videoSamples.length + audioSamples.length + count > MAX_FRAGMENT_SAMPLES) {
        throw new CodecError('too-large', `more than ${MAX_FRAGMENT_SAMPLES} samples in a fragment`);
      }
      const perSample =
        (flags & TRUN_DURATION ? 4 : 0) +
        (flags & TRUN_SIZE ? 4 : 0) +
        (flags & TRUN_FLAGS ? 4 : 0) +
        (flags & TRUN_COMPOSITION_OFFSET ? 4 : 0);
      let at = flags & TRUN_DATA_OFFSET ? base + tr.i32() : next;
      const firstFlags = flags & TRUN_FIRST_SAMPLE_FLAGS ? tr.u32() : undefined;
      if (trun.end - (trun.start + trun.headerSize) < perSample * count) {
        throw new CodecError('truncated', `trun of ${count} samples is too short`);
      }
      for (let i = 0; i < count; i++) {
        const duration = flags & TRUN_DURATION ? tr.u32() : defaultDuration;
        const size = flags & TRUN_SIZE ? tr.u32() : defaultSize;
        let sampleFlags = flags & TRUN_FLAGS ? tr.u32() : defaultFlags;
        if (i === 0 && firstFlags !== undefined) sampleFlags = firstFlags;
        let compositionOffset = 0;
        if (flags & TRUN_COMPOSITION_OFFSET) compositionOffset = version === 0 ? tr.u32() : tr.i32();
        if (compositionOffset > 0x7fffffff) compositionOffset = 0; // an unsigned offset no encoder makes
        if (size === 0) throw new CodecError('invalid', 'a sample of 0 bytes');
        samples.push({
          offset: at,
          size,
          duration,
          keyframe: (sampleFlags & SAMPLE_IS_NON_SYNC) === 0,
          compositionOffset,
        });
        at += size;
      }
      next = at;
    }
  }
  if (videoSamples.length === 0) throw new CodecError('invalid', 'a fragment without samples of the video track');
  return {
    sequenceNumber,
    baseDecodeTime: videoBase ?? 0,
    samples: videoSamples,
    ...(audioSamples.length ? { audio: { baseDecodeTime: audioBase ?? 0, samples: audioSamples } } : {}),
  };
}

/**
 * Reads the init segment and every whole fragment. A file whose init segment is cut off, absent
 * or not H.264 is CodecError; anything wrong after it ends the list (validEnd) instead.
 */
export async function readFragments(file: RandomAccess, options: ReadFragmentsOptions = {}): Promise<FragmentedFile> {
  const fileSize = file.size;
  const resume = options.resume;
  // The moov is small and holds the track's defaults (trex): read it again when resuming too.
  const found = await readInit(file, fileSize);
  const init = found.init;
  const result: FragmentedFile =
    resume && resume.fileSize <= fileSize && resume.initEnd === found.initEnd
      ? { ...resume, fragments: resume.fragments.slice(), fileSize }
      : {
          width: init.width,
          height: init.height,
          codec: init.codec,
          description: init.description,
          timescale: init.timescale,
          ...(init.audio ? { audio: { record: init.audio.record, timescale: init.audio.timescale } } : {}),
          initEnd: found.initEnd,
          fragments: [],
          validEnd: found.initEnd,
          fileSize,
        };
  let sampleCount = result.fragments.reduce((n, f) => n + f.samples.length, 0);
  let at = result.validEnd;
  while (at < fileSize) {
    // One read for the moof's header, the moof and the mdat's header (a second one for a large moof).
    let bytes = await file.read(at, Math.min(FRAGMENT_READ, fileSize - at));
    const header = parseHeader(bytes, at, fileSize);
    if (!header || header.size > fileSize - at) break; // garbage or a partial write
    if (header.type !== 'moof') {
      if (header.type === 'mdat' || header.type === 'moov') break; // out of place: not ours to guess
      at += header.size; // free, skip, styp, sidx, prft, emsg…
      continue;
    }
    if (header.size > MAX_MOOF_BYTES) break;
    const mdatAt = at + header.size;
    const want = Math.min(header.size + 16, fileSize - at);
    if (bytes.length < want) bytes = await file.read(at, want);
    if (bytes.length < header.size) break;
    const mdat = parseHeader(bytes.subarray(header.size, want), mdatAt, fileSize);
    if (!mdat || mdat.type !== 'mdat' || mdat.size > fileSize - mdatAt) break;
    const moofBytes = bytes.subarray(0, header.size);
    let parsed: ReturnType<typeof parseMoof>;
    try {
      const body = header.headerSize === 8 ? moofBytes : rebox(moofBytes, header);
      parsed = parseMoof(body, at, init);
    } catch (error) {
      if (error instanceof CodecError) break;
      throw error;
    }
    const payloadStart = mdatAt + mdat.headerSize;
    const payloadEnd = mdatAt + mdat.size;
    const inside = (s: SampleInfo): boolean => s.offset >= payloadStart && s.offset + s.size <= payloadEnd;
    if (!parsed.samples.every(inside) || !(parsed.audio?.samples.every(inside) ?? true)) break;
    if (result.fragments.length >= MAX_FRAGMENTS) {
      throw new CodecError('too-large', `more than ${MAX_FRAGMENTS} fragments`);
    }
    sampleCount += parsed.samples.length + (parsed.audio?.samples.length ?? 0);
    if (sampleCount > MAX_FILE_SAMPLES) throw new CodecError('too-large', `more than ${MAX_FILE_SAMPLES} samples`);
    let duration = 0;
    for (const s of parsed.samples) duration += s.duration;
    result.fragments.push({
      offset: at,
      size: payloadEnd - at,
      sequenceNumber: parsed.sequenceNumber,
      baseDecodeTime: parsed.baseDecodeTime,
      duration,
      samples: parsed.samples,
      ...(parsed.audio ? { audio: parsed.audio } : {}),
    });
    at = payloadEnd;
    result.validEnd = payloadEnd;
  }
  return result;
}

/** A moof with a 64-bit size, as a box with a 32-bit header (its children's walk needs 8). */
function rebox(bytes: Uint8Array, header: Header): Uint8Array {
  const body = bytes.subarray(header.headerSize);
  const out = new Uint8Array(8 + body.length);
  new DataView(out.buffer).setUint32(0, out.length);
  out.set(bytes.subarray(4, 8), 4);
  out.set(body, 8);
  return out;
}

/** Finds and parses the moov: the top-level boxes before it are skipped, at most MAX_LEADING_BOXES. */
async function readInit(file: RandomAccess, fileSize: number): Promise<{ init: Init; initEnd: number }> {
  let at = 0;
  for (let n = 0; n < MAX_LEADING_BOXES; n++) {
    const header = await readHeader(file, at, fileSize);
    if (!header) throw new CodecError('truncated', `no init segment: no box header at ${at}`);
    if (header.size > fileSize - at) throw new CodecError('truncated', `${header.type} box runs past the file's end`);
    if (header.type === 'moof' || header.type === 'mdat') {
      throw new CodecError('invalid', `${header.type} before the moov: no init segment`);
    }
    if (header.type === 'moov') {
      if (header.size > MAX_MOOV_BYTES) throw new CodecError('too-large', `moov of ${header.size} bytes`);
      const bytes = await file.read(at, header.size);
      if (bytes.length < header.size) throw new CodecError('truncated', 'moov cut off');
      const moov = header.headerSize === 8 ? bytes : rebox(bytes, header);
      return { init: parseInit(moov), initEnd: at + header.size };
    }
    at += header.size;
  }
  throw new CodecError('invalid', `no moov in the first ${MAX_LEADING_BOXES} boxes`);
}
