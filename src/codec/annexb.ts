/**
 * Annex B byte streams (start codes `00 00 01` and `00 00 00 01`) and the length-prefixed form of
 * MP4 and WebCodecs (each NAL unit after its length, 4 bytes big-endian), the same for H.264 and
 * H.265: splitting, joining and converting. Nothing here copies a NAL unit but the conversions,
 * which allocate their output once.
 */
import { CodecError } from './errors.js';

/** The default bound on NAL units in one split: far above any real access unit. */
export const MAX_NAL_UNITS = 65536;

export interface SplitOptions {
  /** More NAL units than this: CodecError 'too-large'. */
  maxNalUnits?: number;
}

/**
 * Splits Annex B bytes into NAL units (subarrays of `data`, without their start
 * codes). Bytes before the first start code are skipped; zero bytes before a
 * start code (trailing_zero_8bits, or the first byte of a 4-byte start code)
 * are not part of the NAL unit before it; empty NAL units are left out.
 */
export function splitAnnexB(data: Uint8Array, options: SplitOptions = {}): Uint8Array[] {
  const max = options.maxNalUnits ?? MAX_NAL_UNITS;
  const units: Uint8Array[] = [];
  let start = -1; // payload start of the NAL unit in progress
  let zeros = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0) {
      zeros++;
      continue;
    }
    if (b === 1 && zeros >= 2) {
      if (start >= 0) push(units, data, start, i - zeros, max);
      start = i + 1;
    }
    zeros = 0;
  }
  if (start >= 0) push(units, data, start, data.length - zeros, max);
  return units;
}

function push(units: Uint8Array[], data: Uint8Array, start: number, end: number, max: number): void {
  if (end <= start) return;
  if (units.length >= max) throw new CodecError('too-large', `more than ${max} NAL units`);
  units.push(data.subarray(start, end));
}

/** Does `data` begin with a start code? */
export function startsWithStartCode(data: Uint8Array): boolean {
  if (data.length >= 3 && data[0] === 0 && data[1] === 0 && data[2] === 1) return true;
  return data.length >= 4 && data[0] === 0 && data[1] === 0 && data[2] === 0 && data[3] === 1;
}

/** NAL units as one Annex B array, each after a 4-byte start code. */
export function joinAnnexB(nalus: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const nal of nalus) size += 4 + nal.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const nal of nalus) {
    out[at + 3] = 1;
    out.set(nal, at + 4);
    at += 4 + nal.length;
  }
  return out;
}

/** The largest NAL unit a 4-byte length can carry. */
const MAX_LENGTH = 0xffffffff;

/**
 * NAL units in AVC form: each after its length, 4 bytes big-endian. Takes the
 * NAL units themselves, or Annex B bytes (split first).
 */
export function toAvc(input: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const nalus = input instanceof Uint8Array ? splitAnnexB(input) : input;
  let size = 0;
  for (const nal of nalus) {
    if (nal.length === 0) throw new CodecError('invalid', 'empty NAL unit');
    if (nal.length > MAX_LENGTH) throw new CodecError('too-large', 'NAL unit over 4 GiB');
    size += 4 + nal.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const nal of nalus) {
    view.setUint32(at, nal.length);
    out.set(nal, at + 4);
    at += 4 + nal.length;
  }
  return out;
}

/** Same as toAvc, under the name that says which way it goes. */
export const annexBToAvc = toAvc;

export interface AvcSplitOptions extends SplitOptions {
  /** Bytes per length: 1, 2 or 4 (avcC's lengthSizeMinusOne + 1). Default 4. */
  lengthSize?: 1 | 2 | 4;
}

/**
 * Splits AVC (length-prefixed) bytes into NAL units, subarrays of `data`.
 * Every length is checked: zero, or past the end of the data, or a partial
 * length at the end, is CodecError 'invalid' or 'truncated'.
 */
export function splitAvc(data: Uint8Array, options: AvcSplitOptions = {}): Uint8Array[] {
  const lengthSize = options.lengthSize ?? 4;
  const max = options.maxNalUnits ?? MAX_NAL_UNITS;
  if (lengthSize !== 1 && lengthSize !== 2 && lengthSize !== 4) {
    throw new CodecError('invalid', `NAL length size ${String(lengthSize)} is not 1, 2 or 4`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const units: Uint8Array[] = [];
  let at = 0;
  while (at < data.length) {
    if (at + lengthSize > data.length) {
      throw new CodecError('truncated', `${data.length - at} stray bytes after the last NAL unit`);
    }
    const length = lengthSize === 4 ? view.getUint32(at) : lengthSize === 2 ? view.getUint16(at) : view.getUint8(at);
    at += lengthSize;
    if (length === 0) throw new CodecError('invalid', `NAL unit of length 0 at byte ${at - lengthSize}`);
    if (length > data.length - at) {
      throw new CodecError(
        'invalid',
        `NAL length ${length} at byte ${at - lengthSize} runs past the end (${data.length - at} left)`,
      );
    }
    if (units.length >= max) throw new CodecError('too-large', `more than ${max} NAL units`);
    units.push(data.subarray(at, at + length));
    at += length;
  }
  return units;
}

/** AVC (4-byte lengths, validated) to Annex B with 4-byte start codes. */
export function avcToAnnexB(data: Uint8Array, options: AvcSplitOptions = {}): Uint8Array {
  return joinAnnexB(splitAvc(data, options));
}
