/** A big-endian bit writer that grows as needed (FLAC frames). */
export class BitWriter {
  private bytes: Uint8Array;
  private byte = 0;
  private bit = 0;

  constructor(capacity = 256) {
    this.bytes = new Uint8Array(capacity);
  }

  /** Bytes written so far (the last one partly, when not aligned). */
  get length(): number {
    return this.byte + (this.bit > 0 ? 1 : 0);
  }

  /** `count` (0..32) low bits of `value`, most significant first. */
  write(value: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) this.writeBit(Math.floor(value / 2 ** i) & 1);
  }

  writeBit(bit: number): void {
    if (this.byte >= this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    if (bit) this.bytes[this.byte]! |= 0x80 >> this.bit;
    if (++this.bit === 8) {
      this.bit = 0;
      this.byte++;
    }
  }

  /** `count` zero bits then a one (Rice quotients, wasted-bit counts). */
  unary(count: number): void {
    for (let i = 0; i < count; i++) this.writeBit(0);
    this.writeBit(1);
  }

  /** A signed value in `count` bits, two's complement. */
  signed(value: number, count: number): void {
    this.write(value < 0 ? value + 2 ** count : value, count);
  }

  /** Zero bits up to the next byte boundary. */
  align(): void {
    while (this.bit !== 0) this.writeBit(0);
  }

  /** The bytes written so far (aligned or not), a view of the buffer. */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}
