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
import type { AudioRecord } from './audio-sample-entry.js';
import { parseBoxHeader, type BoxHeader } from './box-reader.js';
import { parseInit, type Init } from './init-reader.js';
import { parseMoof, type SampleInfo } from './moof-reader.js';

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

/** A top-level box header at `at`, or undefined when the bytes are cut off or are not a box header. */
async function readHeader(file: RandomAccess, at: number, fileSize: number): Promise<BoxHeader | undefined> {
  if (fileSize - at < 8) return undefined;
  return parseBoxHeader(await file.read(at, Math.min(16, fileSize - at)), at, fileSize);
}

/** Bytes read at once where a fragment starts: its moof and the mdat's header, most of the time. */
const FRAGMENT_READ = 16 * 1024;

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
    const header = parseBoxHeader(bytes, at, fileSize);
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
    const mdat = parseBoxHeader(bytes.subarray(header.size, want), mdatAt, fileSize);
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
function rebox(bytes: Uint8Array, header: BoxHeader): Uint8Array {
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
