/**
 * The publisher protocol's binary frames (docs/protocol.md, "Publisher protocol"): video (JPEG or H.264,
 * with their media times on the timed header), audio, and an event's snapshot. Each reuses the viewer
 * protocol's header (src/wire/header.ts) grown by a channel (header length 20) and 8 more bytes (28).
 */
import { CODEC_H264, CODEC_JPEG, FLAG_KEYFRAME, HEADER_BYTES, HEADER_VERSION } from '../wire/constants.js';
import { decodeHeader, encodeHeader, type MediaTimes } from '../wire/header.js';
import type { Parsed } from '../wire/json.js';
import {
  FLAG_BUFFERED,
  RELAY_CODEC_AUDIO,
  RELAY_CODEC_SNAPSHOT,
  RELAY_HEADER_BYTES,
  RELAY_TIMED_HEADER_BYTES,
  type RelayCodec,
} from './protocol.js';
/** The viewer header of a frame message, its version checked; the reason says what is wrong. */
function frameHeader(message: Buffer): Parsed<ReturnType<typeof decodeHeader>> {
  let header;
  try {
    header = decodeHeader(message);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  if (header.version !== HEADER_VERSION) return { ok: false, reason: `header version ${header.version}` };
  return { ok: true, message: header };
}

/** A message of the timed header's length with the viewer header and the channel written; the caller writes bytes 20..27. */
function timedMessage(codec: number, capturedAt: number, channel: number, payload: Uint8Array): Buffer {
  const message = Buffer.allocUnsafe(RELAY_TIMED_HEADER_BYTES + payload.byteLength);
  encodeHeader(message, 0, 0, capturedAt, codec, 0);
  message[3] = RELAY_TIMED_HEADER_BYTES;
  message.writeUInt32BE(channel >>> 0, HEADER_BYTES);
  message.set(payload, RELAY_TIMED_HEADER_BYTES);
  return message;
}

export interface RelayFrame {
  channel: number;
  seq: number;
  capturedAt: number;
  codec: RelayCodec;
  keyframe: boolean;
  /** The JPEG or the access unit: a view into the message, not a copy. */
  data: Buffer;
  /** Its media times on the camera's clock (90 kHz; dts modulo 2^32), when the edge sends them. */
  times?: MediaTimes;
  /** From the edge's pre-roll buffer (FLAG_BUFFERED), not live. */
  buffered: boolean;
}

/** One binary frame message: header and payload in one buffer (ws sends one buffer per message). */
export function encodeRelayFrame(
  channel: number,
  seq: number,
  capturedAt: number,
  payload: Uint8Array,
  codec: RelayCodec = 'jpeg',
  keyframe = true,
  times?: MediaTimes,
  buffered = false,
): Buffer {
  const headerLength = times ? RELAY_TIMED_HEADER_BYTES : RELAY_HEADER_BYTES;
  const message = Buffer.allocUnsafe(headerLength + payload.byteLength);
  const flags = (codec === 'jpeg' || keyframe ? FLAG_KEYFRAME : 0) | (buffered ? FLAG_BUFFERED : 0);
  encodeHeader(message, 0, seq, capturedAt, codec === 'h264' ? CODEC_H264 : CODEC_JPEG, flags);
  message[3] = headerLength; // the viewer header, grown by the channel field (and the media times)
  message.writeUInt32BE(channel >>> 0, HEADER_BYTES);
  if (times) {
    message.writeUInt32BE(((times.dts % 2 ** 32) + 2 ** 32) % 2 ** 32, RELAY_HEADER_BYTES);
    message.writeInt32BE(Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(times.compositionOffset))), 24);
  }
  message.set(payload, headerLength);
  return message;
}

/** Reads a frame message; the reason says what is wrong for the close frame and the log. */
export function decodeRelayFrame(message: Buffer): Parsed<RelayFrame> {
  const read = frameHeader(message);
  if (!read.ok) return read;
  const header = read.message;
  if (header.codec === RELAY_CODEC_AUDIO || header.codec === RELAY_CODEC_SNAPSHOT)
    return { ok: false, reason: `codec ${header.codec} in a video frame` };
  if (header.codec !== CODEC_JPEG && header.codec !== CODEC_H264) return { ok: false, reason: `codec ${header.codec}` };
  if (header.headerLength < RELAY_HEADER_BYTES)
    return { ok: false, reason: `header length ${header.headerLength} has no channel` };
  const channel = message.readUInt32BE(HEADER_BYTES);
  const times =
    header.headerLength >= RELAY_TIMED_HEADER_BYTES
      ? { dts: message.readUInt32BE(RELAY_HEADER_BYTES), compositionOffset: message.readInt32BE(24) }
      : undefined;
  return {
    ok: true,
    message: {
      channel,
      seq: header.seq,
      capturedAt: header.capturedAt,
      codec: header.codec === CODEC_H264 ? 'h264' : 'jpeg',
      keyframe: (header.flags & FLAG_KEYFRAME) !== 0,
      data: message.subarray(header.headerLength),
      ...(times ? { times } : {}),
      buffered: (header.flags & FLAG_BUFFERED) !== 0,
    },
  };
}

// ---- audio frames ----

export interface RelayAudioFrame {
  channel: number;
  capturedAt: number;
  /** 90 kHz ticks modulo 2^32, on the video's clock. */
  pts: number;
  /** Samples per channel in the unit. */
  samples: number;
  /** A view into the message, not a copy. */
  data: Buffer;
}

/** The codec byte of a binary frame (0 when too short), to route audio before decoding. */
export function frameCodec(message: Buffer): number {
  return message.length > 1 ? message[1]! : 0;
}

/** One audio frame message: `pts` in 90 kHz ticks (any integer: written modulo 2^32). */
export function encodeRelayAudioFrame(
  channel: number,
  capturedAt: number,
  pts: number,
  samples: number,
  payload: Uint8Array,
): Buffer {
  const message = timedMessage(RELAY_CODEC_AUDIO, capturedAt, channel, payload);
  message.writeUInt32BE(((Math.round(pts) % 2 ** 32) + 2 ** 32) % 2 ** 32, RELAY_HEADER_BYTES);
  message.writeUInt32BE(samples >>> 0, 24);
  return message;
}

/** Reads an audio frame (codec byte RELAY_CODEC_AUDIO); the reason says what is wrong. */
export function decodeRelayAudioFrame(message: Buffer): Parsed<RelayAudioFrame> {
  const read = frameHeader(message);
  if (!read.ok) return read;
  const header = read.message;
  if (header.codec !== RELAY_CODEC_AUDIO) return { ok: false, reason: `codec ${header.codec}` };
  if (header.headerLength < RELAY_TIMED_HEADER_BYTES || message.length < header.headerLength)
    return { ok: false, reason: `audio header length ${header.headerLength} under ${RELAY_TIMED_HEADER_BYTES}` };
  return {
    ok: true,
    message: {
      channel: message.readUInt32BE(HEADER_BYTES),
      capturedAt: header.capturedAt,
      pts: message.readUInt32BE(RELAY_HEADER_BYTES),
      samples: message.readUInt32BE(24),
      data: message.subarray(header.headerLength),
    },
  };
}

// ---- snapshot frames ----

export interface RelaySnapshotFrame {
  channel: number;
  /** When the edge took it, on its clock. */
  takenAt: number;
  /** The edge's id of the event (as in its `event` messages). */
  event: number;
  /** A view into the message, not a copy. */
  jpeg: Buffer;
}

/** One snapshot frame message: the frame header (codec 17, header length 28), the event id (f64), the JPEG. */
export function encodeRelaySnapshot(channel: number, takenAt: number, event: number, jpeg: Uint8Array): Buffer {
  const message = timedMessage(RELAY_CODEC_SNAPSHOT, takenAt, channel, jpeg);
  message.writeDoubleBE(event, RELAY_HEADER_BYTES);
  return message;
}

/** Reads a snapshot frame; its JPEG is checked by the session (size, picture). */
export function decodeRelaySnapshot(message: Buffer): Parsed<RelaySnapshotFrame> {
  const read = frameHeader(message);
  if (!read.ok) return read;
  const header = read.message;
  if (header.codec !== RELAY_CODEC_SNAPSHOT) return { ok: false, reason: `codec ${header.codec}` };
  if (header.headerLength < RELAY_TIMED_HEADER_BYTES || message.length < header.headerLength)
    return { ok: false, reason: `snapshot header length ${header.headerLength} under ${RELAY_TIMED_HEADER_BYTES}` };
  const event = message.readDoubleBE(RELAY_HEADER_BYTES);
  if (!Number.isSafeInteger(event) || event < 1)
    return { ok: false, reason: 'snapshot event id is not a positive integer' };
  return {
    ok: true,
    message: {
      channel: message.readUInt32BE(HEADER_BYTES),
      takenAt: header.capturedAt,
      event,
      jpeg: message.subarray(header.headerLength),
    },
  };
}
