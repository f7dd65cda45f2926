/**
 * H.265's rules for the access-unit splitter (../access-units.ts): a 2-byte NAL header; after a
 * slice, VPS, SPS, PPS, prefix SEI and types 41–44 and 48–55 begin the next access unit
 * (7.4.2.4.4); without delimiters, a slice segment with first_slice_segment_in_pic_flag begins a
 * new picture; IRAP slices (16–23) are keyframes.
 */
import {
  NalAccessUnitSplitter,
  type AccessUnit,
  type AccessUnitSplitterOptions,
  type NalRules,
} from '../access-units.js';
import { HevcNalType, hevcTypeOf, isHevcVcl, isIrap } from './nal.js';

/** Slice segment types that can begin a picture: 0–9 and 16–21 (the others are reserved). */
const isSliceSegment = (type: number): boolean => (type >= 0 && type <= 9) || (type >= 16 && type <= 21);

export const H265_RULES: NalRules = {
  // The slice segment header's first bit follows the 2-byte NAL header.
  headBytes: (first) => (isSliceSegment(hevcTypeOf(first)) ? 3 : 1),
  type: hevcTypeOf,
  isVcl: isHevcVcl,
  isAud: (type) => type === HevcNalType.AUD,
  isKeyframe: isIrap,
  parameterSet: (type) =>
    type === HevcNalType.VPS ? 'vps' : type === HevcNalType.SPS ? 'sps' : type === HevcNalType.PPS ? 'pps' : undefined,
  startsAfterPicture: (type) =>
    (type >= HevcNalType.VPS && type <= HevcNalType.PPS) ||
    type === HevcNalType.PREFIX_SEI ||
    (type >= 41 && type <= 44) ||
    (type >= 48 && type <= 55),
  beginsPicture: (type, head, length) => isSliceSegment(type) && length >= 3 && (head[2]! & 0x80) !== 0,
};

/** The H.265 splitter. */
export class HevcAccessUnitSplitter extends NalAccessUnitSplitter {
  constructor(onAccessUnit: (au: AccessUnit) => void, options: AccessUnitSplitterOptions = {}) {
    super(H265_RULES, onAccessUnit, options);
  }
}
