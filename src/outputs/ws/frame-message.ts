/**
 * The binary message for an access unit, built once per unit and shared by
 * every viewer of every camera, inside a complete WebSocket frame (RFC 6455
 * section 5.2: FIN, binary, unmasked as a server sends). ws cannot send header
 * and payload as one message from two buffers, so the payload is copied once
 * per unit, never per viewer; the frame lets a viewer hand the unit to its
 * socket as one write (see ws-transport.ts).
 */
import type { AccessUnit, Codec } from '../../media/index.js';
import {
  CODEC_H264,
  CODEC_H265,
  CODEC_JPEG,
  FLAG_KEYFRAME,
  HEADER_BYTES,
  MEDIA_TIME_HEADER_BYTES,
} from '../../wire/constants.js';
import { encodeHeader, type MediaTimes } from '../../wire/header.js';

/** The header's codec byte. */
const CODEC_BYTE: Readonly<Record<Codec, number>> = { jpeg: CODEC_JPEG, h264: CODEC_H264, h265: CODEC_H265 };

/** An H.264 or H.265 unit's media times for its header (JPEG has none: its header stays 16 bytes). */
export function mediaTimes(unit: AccessUnit): MediaTimes | undefined {
  return unit.config.codec === 'jpeg' ? undefined : { dts: unit.dts, compositionOffset: unit.pts - unit.dts };
}

/** The header's length for a unit. */
export function headerBytes(unit: AccessUnit): number {
  return unit.config.codec === 'jpeg' ? HEADER_BYTES : MEDIA_TIME_HEADER_BYTES;
}

/** A unit's message (16-byte header, 24 with media times, + payload), and the WebSocket frame that carries it (the same bytes after the frame's header). */
export interface UnitMessage {
  frame: Buffer;
  message: Buffer;
}

// Keyed by the frozen unit: the message lives exactly as long as someone holds the unit.
const messages = new WeakMap<AccessUnit, UnitMessage>();

/** Both forms of the unit's message, from one lookup (a viewer's send needs the frame and the message's length). */
export function unitMessage(unit: AccessUnit): UnitMessage {
  let built = messages.get(unit);
  if (!built) {
    const headerLength = headerBytes(unit);
    const length = headerLength + unit.data.length;
    const frameHeader = length < 126 ? 2 : length < 0x1_0000 ? 4 : 10;
    const frame = Buffer.allocUnsafe(frameHeader + length);
    frame[0] = 0x82; // FIN, opcode 2 (binary)
    if (frameHeader === 2) frame[1] = length;
    else if (frameHeader === 4) {
      frame[1] = 126;
      frame.writeUInt16BE(length, 2);
    } else {
      frame[1] = 127;
      frame.writeBigUInt64BE(BigInt(length), 2);
    }
    encodeHeader(
      frame,
      frameHeader,
      unit.seq,
      unit.capturedAt,
      CODEC_BYTE[unit.config.codec],
      unit.keyframe ? FLAG_KEYFRAME : 0,
      mediaTimes(unit),
    );
    unit.data.copy(frame, frameHeader + headerLength);
    built = { frame, message: frame.subarray(frameHeader) };
    messages.set(unit, built);
  }
  return built;
}
