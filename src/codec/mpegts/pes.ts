/**
 * A PES packet's header (ISO/IEC 13818-1 §2.4.3.6): its declared length and its PTS and DTS (33-bit,
 * 90 kHz), and where its payload begins; and the unwrapping of 33-bit timestamps into a continuous line.
 */
import { CodecError } from '../errors.js';

export interface PesHeader {
  streamId: number;
  /** Bytes of the PES packet after its length field; 0: unbounded (video over 64 KiB, or ffmpeg's default). */
  packetLength: number;
  pts: number | undefined;
  dts: number | undefined;
  /** Where the payload begins, from the packet's first byte. */
  payloadOffset: number;
}

/** A timestamp's 33 bits from its 5 bytes (marker bits not checked: encoders get them wrong). */
function timestamp(b: Uint8Array, i: number): number {
  // 33 bits do not fit a 32-bit bitwise operation: the top 3 bits are multiplied in.
  return (
    ((b[i]! >> 1) & 0x07) * 2 ** 30 + (b[i + 1]! << 22) + ((b[i + 2]! >> 1) << 15) + (b[i + 3]! << 7) + (b[i + 4]! >> 1)
  );
}

/** Parses the header at the start of `b` (at least its first 9 bytes and the optional fields). */
export function parsePesHeader(b: Uint8Array): PesHeader {
  if (b.length < 6) throw new CodecError('truncated', 'PES header');
  if (b[0] !== 0 || b[1] !== 0 || b[2] !== 1) throw new CodecError('invalid', 'PES without its start code');
  const streamId = b[3]!;
  const packetLength = (b[4]! << 8) | b[5]!;
  // Streams without the optional header (padding, private_stream_2, ECM…): payload right after the length.
  if (streamId === 0xbc || streamId === 0xbe || streamId === 0xbf || streamId === 0xf0 || streamId === 0xf1) {
    return { streamId, packetLength, pts: undefined, dts: undefined, payloadOffset: 6 };
  }
  if (b.length < 9) throw new CodecError('truncated', 'PES optional header');
  if ((b[6]! & 0xc0) !== 0x80) throw new CodecError('invalid', 'PES optional header without its marker');
  const flags = b[7]! >> 6;
  const headerLength = b[8]!;
  const payloadOffset = 9 + headerLength;
  if (payloadOffset > b.length) throw new CodecError('truncated', 'PES header past its packet');
  if (packetLength !== 0 && packetLength + 6 < payloadOffset)
    throw new CodecError('invalid', 'PES length inside its header');
  let pts: number | undefined;
  let dts: number | undefined;
  if (flags === 0b10 || flags === 0b11) {
    if (headerLength < (flags === 0b11 ? 10 : 5))
      throw new CodecError('invalid', 'PES header too short for its timestamps');
    pts = timestamp(b, 9);
    if (flags === 0b11) dts = timestamp(b, 14);
  } else if (flags === 0b01) throw new CodecError('invalid', 'PES with a DTS and no PTS');
  return { streamId, packetLength, pts, dts, payloadOffset };
}

/**
 * Turns timestamps that wrap (MPEG-TS's 33 bits every 26.5 hours at 90 kHz; a 32-bit field's) into a line
 * that goes on: each is placed within half a wrap of the previous one. A jump of over half a wrap either
 * way is taken as a wrap, which is what it most likely is; the media clock judges what is left
 * (src/hub/media-clock.ts).
 */
export class TimestampUnwrapper {
  private last: number | undefined;

  constructor(private readonly wrap = 2 ** 33) {}

  unwrap(ts: number): number {
    if (this.last === undefined) {
      this.last = ts;
      return ts;
    }
    const wrap = this.wrap;
    const base = this.last - (((this.last % wrap) + wrap) % wrap);
    let value = base + ts;
    if (value - this.last > wrap / 2) value -= wrap;
    else if (this.last - value > wrap / 2) value += wrap;
    this.last = value;
    return value;
  }

  reset(): void {
    this.last = undefined;
  }
}
