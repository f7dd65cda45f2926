/**
 * The AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1), the `avcC` box
 * body of MP4 and the `description` of a WebCodecs VideoDecoderConfig: the
 * stream's SPS and PPS with its profile and level, and 4-byte NAL lengths.
 */
import { CodecError } from '../errors.js';
import { NalType } from './nal.js';
import { avcCodecString, parseSps } from './sps.js';

/** A real record is a few hundred bytes; this bounds a hostile one. */
export const MAX_AVCC_BYTES = 1024 * 1024;

export interface AvcC {
  profileIdc: number;
  /** The constraint-flags byte (profile_compatibility). */
  profileCompatibility: number;
  levelIdc: number;
  /** Bytes before each NAL unit in the samples: 1, 2 or 4. */
  lengthSize: 1 | 2 | 4;
  /** NAL units, with their headers (subarrays of the parsed record). */
  sps: Uint8Array[];
  pps: Uint8Array[];
  /** The high-profile extension, when the record carries it. */
  chromaFormat?: number;
  bitDepthLuma?: number;
  bitDepthChroma?: number;
  spsExt?: Uint8Array[];
}

/** Profiles whose record carries the chroma and bit-depth extension (14496-15). */
const EXTENDED_PROFILES = new Set([100, 110, 122, 144]);

function checkNal(nal: Uint8Array, type: number, what: string): void {
  if (nal.length === 0) throw new CodecError('invalid', `empty ${what}`);
  if (nal.length > 0xffff) throw new CodecError('too-large', `${what} of ${nal.length} bytes (at most 65535)`);
  if ((nal[0]! & 0x1f) !== type) throw new CodecError('invalid', `${what} has NAL type ${nal[0]! & 0x1f}`);
}

/**
 * Builds the record from the stream's SPS (1 to 31) and PPS (1 to 255) NAL units,
 * each with its header. Profile and level come from the first SPS, which must
 * parse. NAL lengths in the samples are 4 bytes.
 */
export function buildAvcC(params: { sps: readonly Uint8Array[]; pps: readonly Uint8Array[] }): Uint8Array {
  const { sps, pps } = params;
  if (sps.length < 1 || sps.length > 31) throw new CodecError('invalid', `${sps.length} SPS (1 to 31 allowed)`);
  if (pps.length < 1 || pps.length > 255) throw new CodecError('invalid', `${pps.length} PPS (1 to 255 allowed)`);
  for (const nal of sps) checkNal(nal, NalType.SPS, 'SPS');
  for (const nal of pps) checkNal(nal, NalType.PPS, 'PPS');
  const first = parseSps(sps[0]!);
  const extended = EXTENDED_PROFILES.has(first.profileIdc);

  let size = 7 + (extended ? 4 : 0);
  for (const nal of [...sps, ...pps]) size += 2 + nal.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 1; // configurationVersion
  out[1] = first.profileIdc;
  out[2] = first.constraintFlags;
  out[3] = first.levelIdc;
  out[4] = 0xfc | 3; // reserved '111111', lengthSizeMinusOne = 3
  out[5] = 0xe0 | sps.length; // reserved '111', numOfSequenceParameterSets
  let at = 6;
  for (const nal of sps) {
    view.setUint16(at, nal.length);
    out.set(nal, at + 2);
    at += 2 + nal.length;
  }
  out[at++] = pps.length;
  for (const nal of pps) {
    view.setUint16(at, nal.length);
    out.set(nal, at + 2);
    at += 2 + nal.length;
  }
  if (extended) {
    out[at] = 0xfc | first.chromaFormatIdc;
    out[at + 1] = 0xf8 | (first.bitDepthLuma - 8);
    out[at + 2] = 0xf8 | (first.bitDepthChroma - 8);
    out[at + 3] = 0; // numOfSequenceParameterSetExt
  }
  return out;
}

/** Parses a record (the avcC box body). NAL units are subarrays of `data`. */
export function parseAvcC(data: Uint8Array): AvcC {
  if (data.length > MAX_AVCC_BYTES) throw new CodecError('too-large', `avcC of ${data.length} bytes`);
  let at = 0;
  const need = (n: number, what: string): void => {
    if (at + n > data.length) throw new CodecError('truncated', `avcC ends in ${what}`);
  };
  const u8 = (what: string): number => {
    need(1, what);
    return data[at++]!;
  };
  const nals = (count: number, type: number, what: string): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      need(2, `${what} length`);
      const length = (data[at]! << 8) | data[at + 1]!;
      at += 2;
      need(length, what);
      const nal = data.subarray(at, at + length);
      checkNal(nal, type, what);
      out.push(nal);
      at += length;
    }
    return out;
  };

  const version = u8('header');
  if (version !== 1) throw new CodecError('unsupported', `avcC version ${version}`);
  const profileIdc = u8('header');
  const profileCompatibility = u8('header');
  const levelIdc = u8('header');
  const lengthSizeMinusOne = u8('header') & 3;
  if (lengthSizeMinusOne === 2) throw new CodecError('invalid', 'avcC NAL length size 3');
  const lengthSize = (lengthSizeMinusOne + 1) as 1 | 2 | 4;
  const sps = nals(u8('SPS count') & 0x1f, NalType.SPS, 'SPS');
  const pps = nals(u8('PPS count'), NalType.PPS, 'PPS');
  const record: AvcC = { profileIdc, profileCompatibility, levelIdc, lengthSize, sps, pps };
  // The extension is optional in practice: many writers leave it out even for high profiles.
  if (EXTENDED_PROFILES.has(profileIdc) && data.length - at >= 4) {
    record.chromaFormat = u8('extension') & 3;
    record.bitDepthLuma = (u8('extension') & 7) + 8;
    record.bitDepthChroma = (u8('extension') & 7) + 8;
    record.spsExt = nals(u8('extension'), NalType.SPS_EXTENSION, 'SPS extension');
  }
  return record;
}

/** The codec string (`avc1.PPCCLL`) a record announces. */
export function avcCCodecString(record: AvcC): string {
  return avcCodecString(record.profileIdc, record.profileCompatibility, record.levelIdc);
}
