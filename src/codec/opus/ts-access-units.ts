/**
 * Opus in MPEG-TS (ETSI TS 103 491, as ffmpeg's muxer writes it): a PES payload is one or more access
 * units, each an `opus_control_header` (11 bits 0x3ff, start-trim, end-trim and extension flags, the
 * packet's size as a run of 255s and a last byte under 255, the trims, the extension) and then the Opus
 * packet itself. Bounded by the payload: a size that runs past it is refused.
 */
import { CodecError } from '../errors.js';

export interface OpusTsAccessUnit {
  /** The Opus packet (a view into the payload). */
  packet: Uint8Array;
  /** Samples at 48 kHz to drop from the start of this packet, when the header says. */
  startTrim?: number;
  /** Samples at 48 kHz to drop from its end, when the header says. */
  endTrim?: number;
}

/** Splits one PES payload into its Opus access units (CodecError when it is not Opus in MPEG-TS). */
export function parseOpusTsPayload(payload: Uint8Array): OpusTsAccessUnit[] {
  const units: OpusTsAccessUnit[] = [];
  let at = 0;
  while (at < payload.length) {
    if (at + 2 > payload.length) throw new CodecError('truncated', 'Opus control header cut off');
    const prefix = (payload[at]! << 3) | (payload[at + 1]! >> 5);
    if (prefix !== 0x3ff) throw new CodecError('invalid', 'no Opus control header prefix');
    const flags = payload[at + 1]!;
    at += 2;
    let size = 0;
    for (;;) {
      if (at >= payload.length) throw new CodecError('truncated', 'Opus access unit size cut off');
      const byte = payload[at++]!;
      size += byte;
      if (byte !== 255) break;
    }
    const unit: OpusTsAccessUnit = { packet: new Uint8Array(0) };
    const word = (): number => {
      if (at + 2 > payload.length) throw new CodecError('truncated', 'Opus trim cut off');
      const value = (payload[at]! << 8) | payload[at + 1]!;
      at += 2;
      return value;
    };
    if (flags & 0x10) unit.startTrim = word() & 0x1fff;
    if (flags & 0x08) unit.endTrim = word() & 0x1fff;
    if (flags & 0x04) {
      if (at >= payload.length) throw new CodecError('truncated', 'Opus control extension cut off');
      at += 1 + payload[at]!;
    }
    if (size === 0) throw new CodecError('invalid', 'empty Opus access unit');
    if (at + size > payload.length)
      throw new CodecError('truncated', `Opus access unit of ${size} bytes, ${payload.length - at} left in its PES`);
    unit.packet = payload.subarray(at, at + size);
    units.push(unit);
    at += size;
  }
  return units;
}

/** One PES payload holding these packets (what a muxer writes: no trims, no extension). */
export function buildOpusTsPayload(packets: readonly Uint8Array[]): Uint8Array {
  const parts: number[] = [];
  for (const packet of packets) {
    parts.push(0x7f, 0xe0);
    let n = packet.length;
    for (; n >= 255; n -= 255) parts.push(255);
    parts.push(n);
    parts.push(...packet);
  }
  return Uint8Array.from(parts);
}
