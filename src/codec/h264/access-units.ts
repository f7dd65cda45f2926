/**
 * H.264's rules for the access-unit splitter (../access-units.ts): a 1-byte NAL header; after a
 * slice, SPS, PPS, SEI and types 14–18 begin the next access unit (7.4.1.2.3); without delimiters,
 * a slice whose first_mb_in_slice is 0 begins a new picture; IDR slices are keyframes.
 */
import {
  NalAccessUnitSplitter,
  type AccessUnit,
  type AccessUnitSplitterOptions,
  type NalRules,
} from '../access-units.js';
import { isVcl, NalType } from './nal.js';

export type { AccessUnit, AccessUnitSplitterCounters, AccessUnitSplitterOptions } from '../access-units.js';
export { DEFAULT_MAX_ACCESS_UNIT_BYTES } from '../access-units.js';

const isPictureStart = (type: number): boolean =>
  type === NalType.SLICE || type === NalType.SLICE_PARTITION_A || type === NalType.IDR;

export const H264_RULES: NalRules = {
  headBytes: (first) => (isPictureStart(first & 0x1f) ? 2 : 1),
  type: (first) => first & 0x1f,
  isVcl,
  isAud: (type) => type === NalType.AUD,
  isKeyframe: (type) => type === NalType.IDR,
  parameterSet: (type) => (type === NalType.SPS ? 'sps' : type === NalType.PPS ? 'pps' : undefined),
  startsAfterPicture: (type) =>
    type === NalType.SEI || type === NalType.SPS || type === NalType.PPS || (type >= 14 && type <= 18),
  // first_mb_in_slice is ue(v): 0 is the single bit 1.
  beginsPicture: (type, head, length) => isPictureStart(type) && length >= 2 && (head[1]! & 0x80) !== 0,
};

/** The H.264 splitter. */
export class AccessUnitSplitter extends NalAccessUnitSplitter {
  constructor(onAccessUnit: (au: AccessUnit) => void, options: AccessUnitSplitterOptions = {}) {
    super(H264_RULES, onAccessUnit, options);
  }
}
