/**
 * The 16-byte header in front of every video message (all big-endian):
 *
 *   0  u8   version (1)
 *   1  u8   codec (1 = JPEG, 2 = H.264)
 *   2  u8   flags (bit 0 = keyframe)
 *   3  u8   header length in bytes (16; readers skip this many, so it may grow)
 *   4  u32  sequence number
 *   8  f64  capture time, ms since the Unix epoch: when camrelay (for a relayed camera, its edge) received
 *           the unit from the camera (docs/protocol.md)
 *
 * H.264 and H.265 units carry their media times after it (header length 24):
 *
 *  16  u32  decode time (dts), 90 kHz ticks of the camera's clock, modulo 2^32
 *  20  i32  composition offset: presentation minus decode time, 90 kHz ticks (B-frames; 0 without)
 *
 * Pure functions over Uint8Array and DataView, no I/O and no Node API: shared by the server
 * (a Buffer is a Uint8Array), the relay, the browser player and test clients.
 */
import { CODEC_JPEG, FLAG_KEYFRAME, HEADER_BYTES, HEADER_VERSION, MEDIA_TIME_HEADER_BYTES } from './constants.js';

export interface FrameHeader {
  version: number;
  codec: number;
  flags: number;
  headerLength: number;
  seq: number;
  capturedAt: number;
  /** The media times, when the header carries them (H.264, H.265 from servers that send them). */
  dts?: number;
  compositionOffset?: number;
}

/** A unit's media times as the header carries them (90 kHz ticks). */
export interface MediaTimes {
  dts: number;
  compositionOffset: number;
}

/**
 * Writes a header into `target` at `offset`; by default a JPEG's (every JPEG stands alone: keyframe).
 * `seq` is reduced to u32 (the wire wraps).
 */
export function encodeHeader(
  target: Uint8Array,
  offset: number,
  seq: number,
  capturedAt: number,
  codec: number = CODEC_JPEG,
  flags: number = FLAG_KEYFRAME,
  times?: MediaTimes,
): void {
  const length = times ? MEDIA_TIME_HEADER_BYTES : HEADER_BYTES;
  const view = new DataView(target.buffer, target.byteOffset + offset, length);
  view.setUint8(0, HEADER_VERSION);
  view.setUint8(1, codec);
  view.setUint8(2, flags);
  view.setUint8(3, length);
  view.setUint32(4, seq >>> 0);
  view.setFloat64(8, capturedAt);
  if (times) {
    view.setUint32(16, ((times.dts % 2 ** 32) + 2 ** 32) % 2 ** 32);
    view.setInt32(20, Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(times.compositionOffset))));
  }
}

/** Reads a header; throws RangeError when the message is shorter than the header says. */
export function decodeHeader(message: Uint8Array): FrameHeader {
  if (message.byteLength < HEADER_BYTES)
    throw new RangeError(`message of ${message.byteLength} bytes is shorter than a header`);
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const headerLength = view.getUint8(3);
  if (headerLength < HEADER_BYTES || headerLength > message.byteLength)
    throw new RangeError(`bad header length ${headerLength}`);
  const header: FrameHeader = {
    version: view.getUint8(0),
    codec: view.getUint8(1),
    flags: view.getUint8(2),
    headerLength,
    seq: view.getUint32(4),
    capturedAt: view.getFloat64(8),
  };
  if (headerLength >= MEDIA_TIME_HEADER_BYTES && header.codec !== CODEC_JPEG) {
    header.dts = view.getUint32(16);
    header.compositionOffset = view.getInt32(20);
  }
  return header;
}

/** The payload (the JPEG) of a video message: whatever follows the header, without copying. */
export function framePayload(message: Uint8Array): Uint8Array {
  return message.subarray(decodeHeader(message).headerLength);
}

/** a - b for u32 sequence numbers, correct across the 2^32 wrap: > 0 when a is newer. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}
