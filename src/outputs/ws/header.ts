/**
 * The 16-byte header in front of every video message (all big-endian):
 *
 *   0  u8   version (1)
 *   1  u8   codec (1 = JPEG)
 *   2  u8   flags (bit 0 = keyframe)
 *   3  u8   header length in bytes (16; readers skip this many, so it may grow)
 *   4  u32  sequence number
 *   8  f64  capture time, ms since the Unix epoch
 *
 * Pure functions, no I/O: shared by the server and by test clients.
 */
import { CODEC_JPEG, FLAG_KEYFRAME, HEADER_BYTES, HEADER_VERSION } from './constants.js';

export interface FrameHeader {
  version: number;
  codec: number;
  flags: number;
  headerLength: number;
  seq: number;
  capturedAt: number;
}

/** Writes a JPEG frame's header into `target` at `offset`. `seq` is reduced to u32 (the wire wraps). */
export function encodeHeader(target: Buffer, offset: number, seq: number, capturedAt: number): void {
  target[offset] = HEADER_VERSION;
  target[offset + 1] = CODEC_JPEG;
  target[offset + 2] = FLAG_KEYFRAME; // every JPEG stands alone
  target[offset + 3] = HEADER_BYTES;
  target.writeUInt32BE(seq >>> 0, offset + 4);
  target.writeDoubleBE(capturedAt, offset + 8);
}

/** Reads a header; throws RangeError when the message is shorter than the header says. */
export function decodeHeader(message: Uint8Array): FrameHeader {
  if (message.byteLength < HEADER_BYTES)
    throw new RangeError(`message of ${message.byteLength} bytes is shorter than a header`);
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const headerLength = view.getUint8(3);
  if (headerLength < HEADER_BYTES || headerLength > message.byteLength)
    throw new RangeError(`bad header length ${headerLength}`);
  return {
    version: view.getUint8(0),
    codec: view.getUint8(1),
    flags: view.getUint8(2),
    headerLength,
    seq: view.getUint32(4),
    capturedAt: view.getFloat64(8),
  };
}

/** The payload (the JPEG) of a video message: whatever follows the header, without copying. */
export function framePayload(message: Uint8Array): Uint8Array {
  return message.subarray(decodeHeader(message).headerLength);
}

/** a - b for u32 sequence numbers, correct across the 2^32 wrap: > 0 when a is newer. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}
