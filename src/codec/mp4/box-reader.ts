/**
 * Reading boxes back from bytes: a box's header, a box's children by type, and a bounds-checked reader of
 * its fields (the counterpart of boxes.ts's FieldWriter). Bytes are untrusted: a field past its box's end
 * is CodecError, never a read out of bounds.
 */
import { CodecError } from '../errors.js';
import { readBoxes, type BoxInfo } from './boxes.js';

export interface BoxHeader {
  type: string;
  size: number;
  headerSize: number;
}

/** A box header at bytes[0..] (the box at file offset `at`), or undefined when cut off or not a box header. */
export function parseBoxHeader(bytes: Uint8Array, at: number, fileSize: number): BoxHeader | undefined {
  if (bytes.length < 8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let size = view.getUint32(0);
  let headerSize = 8;
  for (let i = 4; i < 8; i++) if (bytes[i]! < 0x20 || bytes[i]! > 0x7e) return undefined;
  const type = String.fromCharCode(bytes[4]!, bytes[5]!, bytes[6]!, bytes[7]!);
  if (size === 1) {
    if (bytes.length < 16) return undefined;
    const large = view.getBigUint64(8);
    if (large > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    size = Number(large);
    headerSize = 16;
  } else if (size === 0) {
    size = fileSize - at; // to the end of the file
  }
  if (size < headerSize) return undefined;
  return { type, size, headerSize };
}

/** The first child box of `type` (after `skip` bytes of the parent's own fields). */
export function child(data: Uint8Array, parent: BoxInfo, type: string, skip = 0): BoxInfo | undefined {
  return readBoxes(data, parent.start + parent.headerSize + skip, parent.end, 1000).find((b) => b.type === type);
}

/** Every child box of `type`. */
export function children(data: Uint8Array, parent: BoxInfo, type: string): BoxInfo[] {
  return readBoxes(data, parent.start + parent.headerSize, parent.end, 1000).filter((b) => b.type === type);
}

/** Bounds-checked big-endian reads of one box's body. */
export class BodyReader {
  private readonly view: DataView;
  private at: number;
  private readonly end: number;

  constructor(
    data: Uint8Array,
    private readonly box: BoxInfo,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.at = box.start + box.headerSize;
    this.end = box.end;
  }

  private need(n: number): number {
    if (this.end - this.at < n) throw new CodecError('truncated', `${this.box.type} box too short`);
    const at = this.at;
    this.at += n;
    return at;
  }

  skip(n: number): this {
    this.need(n);
    return this;
  }

  u8(): number {
    return this.view.getUint8(this.need(1));
  }

  u16(): number {
    return this.view.getUint16(this.need(2));
  }

  u32(): number {
    return this.view.getUint32(this.need(4));
  }

  i32(): number {
    return this.view.getInt32(this.need(4));
  }

  u64(): number {
    const value = this.view.getBigUint64(this.need(8));
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new CodecError('too-large', `${this.box.type}: 64-bit value`);
    return Number(value);
  }

  /** Version (high byte) and flags (low 24 bits) of a full box. */
  versionAndFlags(): { version: number; flags: number } {
    const word = this.u32();
    return { version: word >>> 24, flags: word & 0xffffff };
  }
}
