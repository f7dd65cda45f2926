/**
 * H.264 NAL unit headers. Splitting Annex B and converting to and from the AVC form is shared with
 * H.265 (../annexb.ts) and exported here too, under the names the H.264 code has always used.
 */
import { CodecError } from '../errors.js';

/** nal_unit_type values camrelay looks at (ITU-T H.264 table 7-1). */
export const NalType = {
  SLICE: 1,
  SLICE_PARTITION_A: 2,
  SLICE_PARTITION_B: 3,
  SLICE_PARTITION_C: 4,
  IDR: 5,
  SEI: 6,
  SPS: 7,
  PPS: 8,
  AUD: 9,
  END_OF_SEQUENCE: 10,
  END_OF_STREAM: 11,
  FILLER: 12,
  SPS_EXTENSION: 13,
} as const;

export {
  annexBToAvc,
  avcToAnnexB,
  joinAnnexB,
  MAX_NAL_UNITS,
  splitAnnexB,
  splitAvc,
  startsWithStartCode,
  toAvc,
  type AvcSplitOptions,
  type SplitOptions,
} from '../annexb.js';

function header(nal: Uint8Array): number {
  if (nal.length === 0) throw new CodecError('invalid', 'empty NAL unit');
  return nal[0]!;
}

/** nal_unit_type, 0..31. */
export function nalType(nal: Uint8Array): number {
  return header(nal) & 0x1f;
}

/** nal_ref_idc, 0..3: 0 means no other picture refers to this one. */
export function nalRefIdc(nal: Uint8Array): number {
  return (header(nal) >>> 5) & 3;
}

/** The forbidden_zero_bit is set: the unit is damaged. */
export function isForbiddenBitSet(nal: Uint8Array): boolean {
  return (header(nal) & 0x80) !== 0;
}

/** A coded slice of a picture (types 1 to 5). */
export function isVcl(type: number): boolean {
  return type >= NalType.SLICE && type <= NalType.IDR;
}
