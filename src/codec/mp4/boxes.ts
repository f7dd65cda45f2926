/**
 * ISO BMFF boxes (ISO/IEC 14496-12): writing them from fields and children, and
 * walking them back (bounded, for checks and for the recorder).
 */
import { CodecError } from '../errors.js';

/** Fields of a box body, big-endian, appended in order. */
export class FieldWriter {
  private bytes = new Uint8Array(64);
  private view = new DataView(this.bytes.buffer);
  private length = 0;

  /** Reserves n bytes and returns where they start (call it before reading this.view or this.bytes). */
  private room(n: number): number {
    if (this.length + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  u8(value: number): this {
    const at = this.room(1);
    this.view.setUint8(at, value);
    return this;
  }

  u16(value: number): this {
    const at = this.room(2);
    this.view.setUint16(at, value);
    return this;
  }

  u24(value: number): this {
    const at = this.room(3);
    this.view.setUint8(at, (value >>> 16) & 0xff);
    this.view.setUint16(at + 1, value & 0xffff);
    return this;
  }

  u32(value: number): this {
    const at = this.room(4);
    this.view.setUint32(at, value);
    return this;
  }

  i32(value: number): this {
    const at = this.room(4);
    this.view.setInt32(at, value);
    return this;
  }

  u64(value: number | bigint): this {
    const at = this.room(8);
    this.view.setBigUint64(at, BigInt(value));
    return this;
  }

  zeros(count: number): this {
    this.room(count); // a fresh or grown array is zero-filled
    return this;
  }

  /** Exactly `length` bytes of ASCII text, padded with zeros (or cut). */
  ascii(text: string, length = text.length): this {
    const at = this.room(length);
    for (let i = 0; i < length && i < text.length; i++) this.bytes[at + i] = text.charCodeAt(i) & 0x7f;
    return this;
  }

  raw(data: Uint8Array): this {
    const at = this.room(data.length);
    this.bytes.set(data, at);
    return this;
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

function checkType(type: string): void {
  if (!/^[\x20-\x7e]{4}$/.test(type)) throw new CodecError('invalid', `box type "${type}" is not 4 ASCII characters`);
}

/** A box: 32-bit size, type, then the parts of its body in order. */
export function box(type: string, ...body: Uint8Array[]): Uint8Array {
  checkType(type);
  let size = 8;
  for (const part of body) size += part.length;
  if (size > 0xffffffff) throw new CodecError('too-large', `${type} box of ${size} bytes`);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, size);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  let at = 8;
  for (const part of body) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A full box: version and 24-bit flags before the body. */
export function fullBox(type: string, version: number, flags: number, ...body: Uint8Array[]): Uint8Array {
  return box(type, new FieldWriter().u8(version).u24(flags).finish(), ...body);
}

export interface BoxInfo {
  type: string;
  /** Offset of the box's first byte in the walked array. */
  start: number;
  /** Whole box, header included. */
  size: number;
  /** 8, or 16 with a 64-bit size. */
  headerSize: number;
  /** Offset just past the box. */
  end: number;
}

/** The default bound on boxes listed by one walk. */
export const MAX_BOXES = 100000;

/**
 * Lists the boxes in data[start, end) (one level: walk a container's children
 * with start = its start + its header size, and the container's end). A box
 * that runs past `end` or has an impossible size is CodecError.
 */
export function readBoxes(data: Uint8Array, start = 0, end = data.length, maxBoxes = MAX_BOXES): BoxInfo[] {
  if (start < 0 || end > data.length || start > end) throw new CodecError('invalid', 'box range outside the data');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const boxes: BoxInfo[] = [];
  let at = start;
  while (at < end) {
    if (end - at < 8) throw new CodecError('truncated', `${end - at} bytes left at ${at}: not a box header`);
    let size = view.getUint32(at);
    let headerSize = 8;
    const type = String.fromCharCode(data[at + 4]!, data[at + 5]!, data[at + 6]!, data[at + 7]!);
    if (size === 1) {
      if (end - at < 16) throw new CodecError('truncated', `${type} box: 64-bit size cut off`);
      const large = view.getBigUint64(at + 8);
      if (large > BigInt(Number.MAX_SAFE_INTEGER)) throw new CodecError('too-large', `${type} box of ${large} bytes`);
      size = Number(large);
      headerSize = 16;
    } else if (size === 0) {
      size = end - at; // to the end of the container
    }
    if (size < headerSize) throw new CodecError('invalid', `${type} box of size ${size} at ${at}`);
    if (size > end - at) throw new CodecError('truncated', `${type} box of ${size} bytes at ${at} runs past ${end}`);
    if (boxes.length >= maxBoxes) throw new CodecError('too-large', `more than ${maxBoxes} boxes`);
    boxes.push({ type, start: at, size, headerSize, end: at + size });
    at += size;
  }
  return boxes;
}

/** The first child of `type` in data[start, end), or undefined. */
export function findBox(data: Uint8Array, type: string, start = 0, end = data.length): BoxInfo | undefined {
  return readBoxes(data, start, end).find((b) => b.type === type);
}

/** Walks down a path of container boxes (`['moov', 'trak', 'mdia']`) from the top level. */
export function findPath(data: Uint8Array, path: readonly string[]): BoxInfo | undefined {
  let found: BoxInfo | undefined;
  let start = 0;
  let end = data.length;
  for (const type of path) {
    found = findBox(data, type, start, end);
    if (!found) return undefined;
    start = found.start + found.headerSize;
    end = found.end;
  }
  return found;
}
