/**
 * Reading an H.264 or H.265 RBSP: removing emulation-prevention bytes, then a bit reader
 * with exp-Golomb codes. Every read is bounds-checked and throws CodecError
 * ('truncated' past the end, 'invalid' for a code longer than 32 bits).
 */
import { CodecError } from './errors.js';

/**
 * The RBSP of a NAL unit payload: each `00 00 03` becomes `00 00`. Returns the
 * input itself when it holds no emulation-prevention byte (no copy), else a
 * new array no longer than the input.
 */
export function removeEmulationPrevention(data: Uint8Array): Uint8Array {
  let first = -1;
  for (let i = 2; i < data.length; i++) {
    if (data[i] === 3 && data[i - 1] === 0 && data[i - 2] === 0) {
      first = i;
      break;
    }
  }
  if (first < 0) return data;
  const out = new Uint8Array(data.length);
  out.set(data.subarray(0, first), 0);
  let n = first;
  let zeros = 0;
  for (let i = first + 1; i < data.length; i++) {
    const b = data[i]!;
    if (b === 3 && zeros >= 2) {
      zeros = 0;
      continue;
    }
    out[n++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}

/** Big-endian bit reader over an RBSP (emulation prevention already removed). */
export class BitReader {
  private bit = 0;

  constructor(private readonly data: Uint8Array) {}

  get bitsLeft(): number {
    return this.data.length * 8 - this.bit;
  }

  readBit(): number {
    if (this.bit >= this.data.length * 8) throw new CodecError('truncated', 'bitstream ends early');
    const value = (this.data[this.bit >>> 3]! >>> (7 - (this.bit & 7))) & 1;
    this.bit++;
    return value;
  }

  readFlag(): boolean {
    return this.readBit() === 1;
  }

  /** Up to 32 bits, unsigned. */
  readBits(count: number): number {
    if (count > 32) throw new CodecError('invalid', `cannot read ${count} bits at once`);
    if (count > this.bitsLeft) throw new CodecError('truncated', 'bitstream ends early');
    let value = 0;
    for (let i = 0; i < count; i++) value = value * 2 + this.readBit();
    return value;
  }

  skipBits(count: number): void {
    if (count > this.bitsLeft) throw new CodecError('truncated', 'bitstream ends early');
    this.bit += count;
  }

  /** ue(v): unsigned exp-Golomb, at most 2^32 - 2. */
  readUe(): number {
    let zeros = 0;
    while (this.readBit() === 0) {
      zeros++;
      if (zeros > 31) throw new CodecError('invalid', 'exp-Golomb code longer than 32 bits');
    }
    return 2 ** zeros - 1 + this.readBits(zeros);
  }

  /** se(v): signed exp-Golomb. */
  readSe(): number {
    const k = this.readUe();
    if (k % 2 === 1) return (k + 1) / 2;
    return k === 0 ? 0 : -(k / 2);
  }

  /** ue(v) that must lie in [min, max], else CodecError 'invalid' naming the field. */
  readUeIn(field: string, min: number, max: number): number {
    const value = this.readUe();
    if (value < min || value > max) throw new CodecError('invalid', `${field} ${value} is out of range ${min}..${max}`);
    return value;
  }

  /** se(v) that must lie in [min, max]. */
  readSeIn(field: string, min: number, max: number): number {
    const value = this.readSe();
    if (value < min || value > max) throw new CodecError('invalid', `${field} ${value} is out of range ${min}..${max}`);
    return value;
  }
}
