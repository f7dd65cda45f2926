/**
 * A live Matroska stream of one video track, written a frame at a time: how camrelay hands a transcoder's
 * ffmpeg its input with each frame's time (a raw H.264 or mpjpeg pipe has none, and ffmpeg would invent
 * them or stamp each frame when it reads it). The smallest Matroska ffmpeg's demuxer reads live:
 * - the EBML header, a Segment of unknown size, Info (timestamps in microseconds), Tracks (one video
 *   track: MJPEG, or H.264/H.265 in their length-prefixed form with the avcC/hvcC as CodecPrivate);
 * - then each frame in a Cluster of its own (sized, so the demuxer hands it on as soon as it is read),
 *   the Cluster's timestamp the frame's, its one SimpleBlock at offset 0 (keyframe flag set on keyframes).
 * Timestamps are unsigned: the caller writes times relative to a base of its choosing.
 */

export type MatroskaVideoCodec = 'jpeg' | 'h264' | 'h265';

const CODEC_IDS: Readonly<Record<MatroskaVideoCodec, string>> = {
  jpeg: 'V_MJPEG',
  h264: 'V_MPEG4/ISO/AVC',
  h265: 'V_MPEGH/ISO/HEVC',
};

export interface MatroskaTrack {
  codec: MatroskaVideoCodec;
  width: number;
  height: number;
  /** avcC or hvcC (H.264, H.265). */
  codecPrivate?: Uint8Array | undefined;
}

/** Nanoseconds per timestamp unit: microseconds. */
export const MATROSKA_TIMESTAMP_SCALE = 1000;

const EBML = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const INFO = 0x1549a966;
const TRACKS = 0x1654ae6b;
const CLUSTER = 0x1f43b675;

/** An element ID's bytes (IDs carry their own length marker). */
function id(value: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.from(bytes);
}

/** A data size as an 8-byte EBML variable-length integer (simple, and enough for any frame). */
function size8(length: number): Uint8Array {
  const out = new Uint8Array(8);
  out[0] = 0x01;
  let v = length;
  for (let i = 7; i >= 1; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

/** The unknown size (a live Segment). */
const UNKNOWN_SIZE = Uint8Array.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function element(elementId: number, ...body: Uint8Array[]): Uint8Array {
  const data = concat(body);
  return concat([id(elementId), size8(data.length), data]);
}

function uint(elementId: number, value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`matroska: not an unsigned integer: ${value}`);
  const bytes = new Uint8Array(8);
  let v = value;
  for (let i = 7; i >= 0; i--) {
    bytes[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return element(elementId, bytes);
}

function text(elementId: number, value: string): Uint8Array {
  return element(
    elementId,
    Uint8Array.from(value, (c) => c.charCodeAt(0) & 0x7f),
  );
}

/** The stream's head: EBML header, the live Segment's start, Info and Tracks. */
export function matroskaHead(track: MatroskaTrack): Uint8Array {
  const header = element(
    EBML,
    uint(0x4286, 1), // EBMLVersion
    uint(0x42f7, 1), // EBMLReadVersion
    uint(0x42f2, 4), // EBMLMaxIDLength
    uint(0x42f3, 8), // EBMLMaxSizeLength
    text(0x4282, 'matroska'), // DocType
    uint(0x4287, 4), // DocTypeVersion
    uint(0x4285, 2), // DocTypeReadVersion
  );
  const info = element(
    INFO,
    uint(0x2ad7b1, MATROSKA_TIMESTAMP_SCALE), // TimestampScale
    text(0x4d80, 'camrelay'), // MuxingApp
    text(0x5741, 'camrelay'), // WritingApp
  );
  const entry = element(
    0xae, // TrackEntry
    uint(0xd7, 1), // TrackNumber
    uint(0x73c5, 1), // TrackUID
    uint(0x83, 1), // TrackType: video
    uint(0x9c, 0), // FlagLacing
    text(0x86, CODEC_IDS[track.codec]), // CodecID
    ...(track.codecPrivate ? [element(0x63a2, track.codecPrivate)] : []),
    element(0xe0, uint(0xb0, track.width), uint(0xba, track.height)), // Video: PixelWidth, PixelHeight
  );
  return concat([header, id(SEGMENT), UNKNOWN_SIZE, info, element(TRACKS, entry)]);
}

/** One frame as a Cluster of its own: `time` in microseconds (unsigned), its bytes as the track carries them. */
export function matroskaFrame(time: number, keyframe: boolean, data: Uint8Array): Uint8Array {
  // SimpleBlock: track number 1 (as a 1-byte vint), timestamp offset 0 (int16), flags.
  const block = element(0xa3, Uint8Array.from([0x81, 0, 0, keyframe ? 0x80 : 0]), data);
  return element(CLUSTER, uint(0xe7, Math.round(time)), block);
}
