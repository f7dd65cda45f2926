/**
 * Viewer protocol v1 (docs/protocol.md), the browser side: the binary frame
 * header and the text messages. Pure functions, no I/O.
 *
 * Frame header, big-endian:
 *   0 u8 version (1)   1 u8 codec (1 = JPEG)   2 u8 flags   3 u8 header length
 *   4 u32 sequence number   8 f64 capture time, ms since the Unix epoch (server clock)
 * The header length is read, never assumed, so the header may grow.
 */

export const PROTOCOL_VERSION = 1;
export const HEADER_VERSION = 1;
export const CODEC_JPEG = 1;
/** The smallest header a v1 server sends. */
export const MIN_HEADER_BYTES = 16;

export interface FrameHeader {
  version: number;
  codec: number;
  flags: number;
  headerLength: number;
  seq: number;
  capturedAt: number;
}

/** Reads the header of a binary message; throws RangeError for a message that cannot be a v1 frame. */
export function parseFrameHeader(message: ArrayBuffer): FrameHeader {
  if (message.byteLength < MIN_HEADER_BYTES)
    throw new RangeError(`frame of ${message.byteLength} bytes is shorter than a header`);
  const view = new DataView(message);
  const headerLength = view.getUint8(3);
  if (headerLength < MIN_HEADER_BYTES || headerLength > message.byteLength)
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

/** a − b for u32 sequence numbers, right across the 2^32 wrap: > 0 when a is newer. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export interface HelloMessage {
  type: 'hello';
  protocol: number;
  camera: string;
  codec: string;
  width: number;
  height: number;
  window: number;
}

export interface StatusMessage {
  type: 'status';
  online: boolean;
  since: number;
  reason?: string;
}

export interface PongMessage {
  type: 'pong';
  t: number;
  server: number;
}

export type ServerMessage = HelloMessage | StatusMessage | PongMessage;

/** Parses a text message; undefined for anything malformed or of a type this player does not know (newer servers may send more). */
export function parseServerMessage(text: string): ServerMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'hello':
      return {
        type: 'hello',
        protocol: num(m.protocol),
        camera: typeof m.camera === 'string' ? m.camera : '',
        codec: typeof m.codec === 'string' ? m.codec : '',
        width: num(m.width),
        height: num(m.height),
        window: num(m.window),
      };
    case 'status':
      if (typeof m.online !== 'boolean') return undefined;
      return {
        type: 'status',
        online: m.online,
        since: num(m.since),
        ...(typeof m.reason === 'string' ? { reason: m.reason } : {}),
      };
    case 'pong':
      if (typeof m.t !== 'number' || typeof m.server !== 'number') return undefined;
      return { type: 'pong', t: m.t, server: m.server };
    default:
      return undefined;
  }
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

export type ClientMessage =
  { type: 'ack'; seq: number } | { type: 'ping'; t: number } | { type: 'pause' } | { type: 'resume' };

export function encodeClientMessage(message: ClientMessage): string {
  return JSON.stringify(message);
}
