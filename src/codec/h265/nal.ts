/**
 * H.265 NAL unit headers (ITU-T H.265 7.3.1.2): two bytes, forbidden_zero_bit, nal_unit_type (6
 * bits), nuh_layer_id (6) and nuh_temporal_id_plus1 (3). Annex B splitting and the length-prefixed
 * form are shared with H.264 (../annexb.ts).
 */
import { CodecError } from '../errors.js';

/** nal_unit_type values camrelay looks at (H.265 table 7-1). */
export const HevcNalType = {
  TRAIL_N: 0,
  /** Intra random access point pictures: BLA 16–18, IDR 19–20, CRA 21 (22–23 reserved IRAP). */
  IRAP_FIRST: 16,
  IDR_W_RADL: 19,
  IDR_N_LP: 20,
  CRA: 21,
  IRAP_LAST: 23,
  /** The last VCL type (24–31 are reserved non-IRAP VCL types). */
  VCL_LAST: 31,
  VPS: 32,
  SPS: 33,
  PPS: 34,
  AUD: 35,
  EOS: 36,
  EOB: 37,
  FD: 38,
  PREFIX_SEI: 39,
  SUFFIX_SEI: 40,
} as const;

/** nal_unit_type from the first header byte. */
export function hevcTypeOf(first: number): number {
  return (first >>> 1) & 0x3f;
}

/** nal_unit_type, 0..63, of a NAL unit (with its header). */
export function hevcNalType(nal: Uint8Array): number {
  if (nal.length < 2) throw new CodecError('invalid', `H.265 NAL unit of ${nal.length} byte(s): no header`);
  return hevcTypeOf(nal[0]!);
}

/** A coded slice segment (types 0 to 31). */
export function isHevcVcl(type: number): boolean {
  return type >= 0 && type <= HevcNalType.VCL_LAST;
}

/** An intra random access point (types 16 to 23): decoding can start here. */
export function isIrap(type: number): boolean {
  return type >= HevcNalType.IRAP_FIRST && type <= HevcNalType.IRAP_LAST;
}

/** An access unit delimiter, layer 0, temporal id 0 (pic_type 2: any slice type). */
export const HEVC_AUD: Uint8Array = new Uint8Array([HevcNalType.AUD << 1, 1, 0x50]);
