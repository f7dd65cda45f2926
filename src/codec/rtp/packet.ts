/**
 * RTP packets (RFC 3550 §5.1) laid out once per access unit and stamped per receiver.
 *
 * A payloader (h264.ts, h265.ts, aac.ts, g711.ts, opus.ts) cuts a unit into payloads; `RtpPackets` lays
 * them out as one byte array, each packet after the 4-byte prefix of RTSP's interleaved framing (RFC 2326
 * §10.12: `$`, channel, length). Every receiver differs only in its channel, sequence numbers, timestamp
 * base and SSRC: it copies the bytes (one copy of the unit) and `stampPackets` writes those fields. Over UDP
 * each packet is sent without its 4-byte prefix.
 */

export const RTP_HEADER_BYTES = 12;
/** `$`, channel, 16-bit length: RTSP's interleaved framing before each packet. */
export const INTERLEAVED_PREFIX_BYTES = 4;
/** The largest interleaved frame's length (16 bits). */
export const MAX_INTERLEAVED_BYTES = 0xffff;

/** One RTP payload of a unit. */
export interface RtpPayload {
  data: Uint8Array;
  /** H.264/H.265: the last packet of the access unit; AAC: the last (or only) fragment of a frame. */
  marker: boolean;
  /** Ticks after the unit's timestamp (audio cut into several packets); 0 for video. */
  timeOffset?: number;
}

export interface RtpStamp {
  /** Interleaved channel (RTP's; RTCP's is the next one by convention, unused here). */
  channel: number;
  /** Sequence number of the first packet (16 bits; the next ones follow). */
  sequence: number;
  /** RTP timestamp of the unit (32 bits). */
  timestamp: number;
  ssrc: number;
}

export class RtpPackets {
  /** Every packet, each after its interleaved prefix. */
  readonly bytes: Uint8Array;
  /** Where each packet's interleaved prefix starts in `bytes`. */
  readonly starts: readonly number[];
  /** Each payload's time offset (ticks). */
  private readonly offsets: readonly number[];
  /** Payload bytes, for RTCP's octet count. */
  readonly payloadBytes: number;

  constructor(payloads: readonly RtpPayload[], payloadType: number) {
    if (!Number.isInteger(payloadType) || payloadType < 0 || payloadType > 127)
      throw new RangeError(`RTP payload type ${payloadType} is not 0..127`);
    let size = 0;
    let payloadBytes = 0;
    for (const p of payloads) {
      const length = RTP_HEADER_BYTES + p.data.length;
      if (length > MAX_INTERLEAVED_BYTES) throw new RangeError(`RTP packet of ${length} bytes is over 65535`);
      size += INTERLEAVED_PREFIX_BYTES + length;
      payloadBytes += p.data.length;
    }
    const bytes = new Uint8Array(size);
    const starts: number[] = [];
    const offsets: number[] = [];
    let at = 0;
    for (const p of payloads) {
      const length = RTP_HEADER_BYTES + p.data.length;
      starts.push(at);
      offsets.push(p.timeOffset ?? 0);
      bytes[at] = 0x24; // '$'
      bytes[at + 2] = length >> 8;
      bytes[at + 3] = length & 0xff;
      bytes[at + 4] = 0x80; // V=2, no padding, no extension, no CSRC
      bytes[at + 5] = (p.marker ? 0x80 : 0) | payloadType;
      bytes.set(p.data, at + INTERLEAVED_PREFIX_BYTES + RTP_HEADER_BYTES);
      at += INTERLEAVED_PREFIX_BYTES + length;
    }
    this.bytes = bytes;
    this.starts = starts;
    this.offsets = offsets;
    this.payloadBytes = payloadBytes;
  }

  get count(): number {
    return this.starts.length;
  }

  /** The length of packet `i` without its interleaved prefix. */
  length(i: number): number {
    const at = this.starts[i]!;
    return (this.bytes[at + 2]! << 8) | this.bytes[at + 3]!;
  }

  /**
   * Writes a receiver's fields into `into`, a copy of `bytes`; returns the sequence number after the last
   * packet. Allocates nothing.
   */
  stamp(into: Uint8Array, stamp: RtpStamp): number {
    let sequence = stamp.sequence & 0xffff;
    const ssrc = stamp.ssrc >>> 0;
    for (let i = 0; i < this.starts.length; i++) {
      const at = this.starts[i]!;
      const timestamp = (stamp.timestamp + this.offsets[i]!) >>> 0;
      into[at + 1] = stamp.channel;
      into[at + 6] = sequence >> 8;
      into[at + 7] = sequence & 0xff;
      writeU32(into, at + 8, timestamp);
      writeU32(into, at + 12, ssrc);
      sequence = (sequence + 1) & 0xffff;
    }
    return sequence;
  }
}

export function writeU32(into: Uint8Array, at: number, value: number): void {
  into[at] = value >>> 24;
  into[at + 1] = (value >>> 16) & 0xff;
  into[at + 2] = (value >>> 8) & 0xff;
  into[at + 3] = value & 0xff;
}

/** The fields of an RTP header (for tests and receivers); undefined if `packet` is not RTP version 2. */
export function readRtpHeader(
  packet: Uint8Array,
): { marker: boolean; payloadType: number; sequence: number; timestamp: number; ssrc: number } | undefined {
  if (packet.length < RTP_HEADER_BYTES || packet[0]! >> 6 !== 2) return undefined;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  return {
    marker: (packet[1]! & 0x80) !== 0,
    payloadType: packet[1]! & 0x7f,
    sequence: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
  };
}
