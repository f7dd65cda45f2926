/**
 * The HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1), the `hvcC` box body of MP4 and
 * the `description` of a WebCodecs VideoDecoderConfig: the stream's VPS, SPS and PPS with its
 * profile, tier and level, and 4-byte NAL lengths.
 */
import { CodecError } from '../errors.js';
import { HevcNalType, hevcTypeOf } from './nal.js';
import { hevcCodecString, parseHevcSps, type ProfileTierLevel } from './sps.js';

/** A real record is a few hundred bytes; this bounds a hostile one. */
export const MAX_HVCC_BYTES = 1024 * 1024;
/** The fixed part before the NAL unit arrays. */
const HEADER_BYTES = 23;

export interface HvcC extends ProfileTierLevel {
  chromaFormat: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  numTemporalLayers: number;
  temporalIdNested: boolean;
  /** Bytes before each NAL unit in the samples: 1, 2 or 4. */
  lengthSize: 1 | 2 | 4;
  /** NAL units, with their headers (subarrays of the parsed record). */
  vps: Uint8Array[];
  sps: Uint8Array[];
  pps: Uint8Array[];
}

function checkNal(nal: Uint8Array, type: number, what: string): void {
  if (nal.length < 2) throw new CodecError('invalid', `${what} of ${nal.length} byte(s)`);
  if (nal.length > 0xffff) throw new CodecError('too-large', `${what} of ${nal.length} bytes (at most 65535)`);
  const found = hevcTypeOf(nal[0]!);
  if (found !== type) throw new CodecError('invalid', `${what} has NAL type ${found}`);
}

/**
 * Builds the record from the stream's VPS (1 to 16), SPS (1 to 16) and PPS (1 to 64) NAL units,
 * each with its header. Profile, tier, level and formats come from the first SPS, which must
 * parse. NAL lengths in the samples are 4 bytes.
 */
export function buildHvcC(params: {
  vps: readonly Uint8Array[];
  sps: readonly Uint8Array[];
  pps: readonly Uint8Array[];
}): Uint8Array {
  const arrays = [
    { type: HevcNalType.VPS, nalus: params.vps, max: 16, what: 'VPS' },
    { type: HevcNalType.SPS, nalus: params.sps, max: 16, what: 'SPS' },
    { type: HevcNalType.PPS, nalus: params.pps, max: 64, what: 'PPS' },
  ];
  let size = HEADER_BYTES;
  for (const { type, nalus, max, what } of arrays) {
    if (nalus.length < 1 || nalus.length > max) {
      throw new CodecError('invalid', `${nalus.length} H.265 ${what} (1 to ${max} allowed)`);
    }
    size += 3;
    for (const nal of nalus) {
      checkNal(nal, type, `H.265 ${what}`);
      size += 2 + nal.length;
    }
  }
  const sps = parseHevcSps(params.sps[0]!);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 1; // configurationVersion
  out[1] = (sps.profileSpace << 6) | (sps.tier << 5) | sps.profileIdc;
  view.setUint32(2, sps.compatibilityFlags);
  out.set(sps.constraintBytes, 6);
  out[12] = sps.levelIdc;
  view.setUint16(13, 0xf000); // reserved '1111', min_spatial_segmentation_idc 0 (not known)
  out[15] = 0xfc; // reserved '111111', parallelismType 0 (not known)
  out[16] = 0xfc | sps.chromaFormatIdc;
  out[17] = 0xf8 | (sps.bitDepthLuma - 8);
  out[18] = 0xf8 | (sps.bitDepthChroma - 8);
  view.setUint16(19, 0); // avgFrameRate: not known
  // constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne 3.
  out[21] = (sps.maxSubLayers << 3) | (sps.temporalIdNesting ? 4 : 0) | 3;
  out[22] = arrays.length;
  let at = HEADER_BYTES;
  for (const { type, nalus } of arrays) {
    out[at] = 0x80 | type; // array_completeness: every parameter set is here
    view.setUint16(at + 1, nalus.length);
    at += 3;
    for (const nal of nalus) {
      view.setUint16(at, nal.length);
      out.set(nal, at + 2);
      at += 2 + nal.length;
    }
  }
  return out;
}

/** Parses a record (the hvcC box body). NAL units are subarrays of `data`; arrays of other types are skipped. */
export function parseHvcC(data: Uint8Array): HvcC {
  if (data.length > MAX_HVCC_BYTES) throw new CodecError('too-large', `hvcC of ${data.length} bytes`);
  if (data.length < HEADER_BYTES) throw new CodecError('truncated', `hvcC of ${data.length} bytes`);
  if (data[0] !== 1) throw new CodecError('unsupported', `hvcC version ${data[0]!}`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const lengthSizeMinusOne = data[21]! & 3;
  if (lengthSizeMinusOne === 2) throw new CodecError('invalid', 'hvcC NAL length size 3');
  const record: HvcC = {
    profileSpace: data[1]! >>> 6,
    tier: (data[1]! >>> 5) & 1,
    profileIdc: data[1]! & 0x1f,
    compatibilityFlags: view.getUint32(2),
    constraintBytes: data.subarray(6, 12),
    levelIdc: data[12]!,
    chromaFormat: data[16]! & 3,
    bitDepthLuma: (data[17]! & 7) + 8,
    bitDepthChroma: (data[18]! & 7) + 8,
    numTemporalLayers: (data[21]! >>> 3) & 7,
    temporalIdNested: (data[21]! & 4) !== 0,
    lengthSize: (lengthSizeMinusOne + 1) as 1 | 2 | 4,
    vps: [],
    sps: [],
    pps: [],
  };
  let at = HEADER_BYTES;
  const need = (n: number, what: string): void => {
    if (at + n > data.length) throw new CodecError('truncated', `hvcC ends in ${what}`);
  };
  const arrays = data[22]!;
  for (let a = 0; a < arrays; a++) {
    need(3, 'an array header');
    const type = data[at]! & 0x3f;
    const count = view.getUint16(at + 1);
    at += 3;
    const list =
      type === HevcNalType.VPS
        ? record.vps
        : type === HevcNalType.SPS
          ? record.sps
          : type === HevcNalType.PPS
            ? record.pps
            : undefined;
    for (let i = 0; i < count; i++) {
      need(2, 'a NAL unit length');
      const length = view.getUint16(at);
      at += 2;
      need(length, 'a NAL unit');
      const nal = data.subarray(at, at + length);
      at += length;
      if (!list) continue;
      checkNal(nal, type, `hvcC NAL unit of type ${type}`);
      list.push(nal);
    }
  }
  return record;
}

/** The codec string (`hvc1.…`) a record announces. */
export function hvcCCodecString(record: HvcC): string {
  return hevcCodecString(record);
}
