/**
 * The sequence parameter set (ITU-T H.264 7.3.2.1.1): profile, level, chroma
 * format, and the picture size after frame cropping; and the codec string of
 * WebCodecs and MSE, `avc1.PPCCLL`. Every field is range-checked and the
 * picture is at most MAX_DIMENSION on a side: an SPS from an untrusted camera
 * either parses to plausible numbers or throws CodecError.
 */
import { CodecError } from '../errors.js';
import { BitReader, removeEmulationPrevention } from '../bits.js';
import { NalType } from './nal.js';

/** Widest and tallest picture accepted, in pixels. */
export const MAX_DIMENSION = 8192;
/** An SPS is a few dozen bytes (scaling lists and VUI included, under 1 KiB): more is not an SPS. */
export const MAX_SPS_BYTES = 4096;

export interface Sps {
  profileIdc: number;
  /** The byte of constraint_set0..5 flags and reserved bits, as in the codec string. */
  constraintFlags: number;
  levelIdc: number;
  spsId: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4 (1 unless a high profile says otherwise). */
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  bitDepthLuma: number;
  bitDepthChroma: number;
  log2MaxFrameNum: number;
  picOrderCntType: number;
  maxNumRefFrames: number;
  frameMbsOnly: boolean;
  /** In macroblocks: coded size before cropping is 16 times these. */
  widthInMbs: number;
  heightInMbs: number;
  crop: { left: number; right: number; top: number; bottom: number };
  /** Displayed size, after cropping. */
  width: number;
  height: number;
  vuiPresent: boolean;
  /** Sample (pixel) aspect ratio from the VUI, when it says. */
  sar?: { width: number; height: number };
  /** Frames per second from the VUI timing (time_scale / 2 num_units_in_tick), when it says. */
  frameRate?: number;
  /** The VUI's fixed_frame_rate_flag, with frameRate. */
  fixedFrameRate?: boolean;
}

/** The profiles whose SPS carries chroma_format_idc, bit depths and scaling lists. */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Parses an SPS NAL unit (with its 1-byte header, type 7). */
export function parseSps(nal: Uint8Array): Sps {
  if (nal.length < 4) throw new CodecError('truncated', `SPS of ${nal.length} bytes`);
  if ((nal[0]! & 0x1f) !== NalType.SPS) throw new CodecError('invalid', `NAL type ${nal[0]! & 0x1f} is not an SPS`);
  if (nal.length > MAX_SPS_BYTES) throw new CodecError('too-large', `SPS of ${nal.length} bytes`);
  const r = new BitReader(removeEmulationPrevention(nal.subarray(1)));

  const profileIdc = r.readBits(8);
  const constraintFlags = r.readBits(8);
  const levelIdc = r.readBits(8);
  const spsId = r.readUeIn('seq_parameter_set_id', 0, 31);

  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.readUeIn('chroma_format_idc', 0, 3);
    if (chromaFormatIdc === 3) separateColourPlane = r.readFlag();
    bitDepthLuma = 8 + r.readUeIn('bit_depth_luma_minus8', 0, 6);
    bitDepthChroma = 8 + r.readUeIn('bit_depth_chroma_minus8', 0, 6);
    r.skipBits(1); // qpprime_y_zero_transform_bypass_flag
    if (r.readFlag()) {
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) {
        if (r.readFlag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }

  const log2MaxFrameNum = 4 + r.readUeIn('log2_max_frame_num_minus4', 0, 12);
  const picOrderCntType = r.readUeIn('pic_order_cnt_type', 0, 2);
  if (picOrderCntType === 0) {
    r.readUeIn('log2_max_pic_order_cnt_lsb_minus4', 0, 12);
  } else if (picOrderCntType === 1) {
    r.skipBits(1); // delta_pic_order_always_zero_flag
    r.readSeIn('offset_for_non_ref_pic', -(2 ** 31) + 1, 2 ** 31 - 1);
    r.readSeIn('offset_for_top_to_bottom_field', -(2 ** 31) + 1, 2 ** 31 - 1);
    const cycle = r.readUeIn('num_ref_frames_in_pic_order_cnt_cycle', 0, 255);
    for (let i = 0; i < cycle; i++) r.readSeIn('offset_for_ref_frame', -(2 ** 31) + 1, 2 ** 31 - 1);
  }
  const maxNumRefFrames = r.readUeIn('max_num_ref_frames', 0, 16);
  r.skipBits(1); // gaps_in_frame_num_value_allowed_flag
  const maxMbs = MAX_DIMENSION / 16;
  const widthInMbs = r.readUe() + 1;
  const heightInMapUnits = r.readUe() + 1;
  if (widthInMbs > maxMbs || heightInMapUnits > maxMbs) {
    throw new CodecError(
      'too-large',
      `picture of ${widthInMbs * 16}x${heightInMapUnits * 16} or more: over ${MAX_DIMENSION} on a side`,
    );
  }
  const frameMbsOnly = r.readFlag();
  if (!frameMbsOnly) r.skipBits(1); // mb_adaptive_frame_field_flag
  r.skipBits(1); // direct_8x8_inference_flag
  const heightInMbs = (frameMbsOnly ? 1 : 2) * heightInMapUnits;
  if (heightInMbs > maxMbs) {
    throw new CodecError('too-large', `picture height ${heightInMbs * 16} over ${MAX_DIMENSION}`);
  }

  const crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.readFlag()) {
    const limit = MAX_DIMENSION;
    crop.left = r.readUeIn('frame_crop_left_offset', 0, limit);
    crop.right = r.readUeIn('frame_crop_right_offset', 0, limit);
    crop.top = r.readUeIn('frame_crop_top_offset', 0, limit);
    crop.bottom = r.readUeIn('frame_crop_bottom_offset', 0, limit);
  }
  const vuiPresent = r.readFlag();

  // 7.4.2.1.1: crop units depend on the chroma subsampling and on field coding.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
  const width = widthInMbs * 16 - cropUnitX * (crop.left + crop.right);
  const height = heightInMbs * 16 - cropUnitY * (crop.top + crop.bottom);
  if (width < 1 || height < 1) {
    throw new CodecError(
      'invalid',
      `frame cropping leaves ${width}x${height} of ${widthInMbs * 16}x${heightInMbs * 16}`,
    );
  }

  const sps: Sps = {
    profileIdc,
    constraintFlags,
    levelIdc,
    spsId,
    chromaFormatIdc,
    separateColourPlane,
    bitDepthLuma,
    bitDepthChroma,
    log2MaxFrameNum,
    picOrderCntType,
    maxNumRefFrames,
    frameMbsOnly,
    widthInMbs,
    heightInMbs,
    crop,
    width,
    height,
    vuiPresent,
  };
  if (vuiPresent) readVui(r, sps);
  return sps;
}

/** Table E-1: aspect_ratio_idc 1..16. */
const SAR_TABLE: readonly (readonly [number, number])[] = [
  [1, 1],
  [12, 11],
  [10, 11],
  [16, 11],
  [40, 33],
  [24, 11],
  [20, 11],
  [32, 11],
  [80, 33],
  [18, 11],
  [15, 11],
  [64, 33],
  [160, 99],
  [4, 3],
  [3, 2],
  [2, 1],
];

/**
 * E.1.1, up to the timing information: the aspect ratio and the frame rate.
 * Best effort: the picture is known already, so a damaged or cut VUI leaves
 * these fields out instead of rejecting the SPS.
 */
function readVui(r: BitReader, sps: Sps): void {
  try {
    let sar: { width: number; height: number } | undefined;
    if (r.readFlag()) {
      const idc = r.readBits(8);
      if (idc === 255) sar = { width: r.readBits(16), height: r.readBits(16) };
      else if (idc >= 1 && idc <= SAR_TABLE.length)
        sar = { width: SAR_TABLE[idc - 1]![0], height: SAR_TABLE[idc - 1]![1] };
    }
    if (r.readFlag()) r.skipBits(1); // overscan_appropriate_flag
    if (r.readFlag()) {
      r.skipBits(4); // video_format, video_full_range_flag
      if (r.readFlag()) r.skipBits(24); // colour_primaries, transfer_characteristics, matrix_coefficients
    }
    if (r.readFlag()) {
      r.readUeIn('chroma_sample_loc_type_top_field', 0, 5);
      r.readUeIn('chroma_sample_loc_type_bottom_field', 0, 5);
    }
    if (sar && sar.width > 0 && sar.height > 0) sps.sar = sar;
    if (r.readFlag()) {
      const numUnitsInTick = r.readBits(32);
      const timeScale = r.readBits(32);
      const fixed = r.readFlag();
      if (numUnitsInTick > 0 && timeScale > 0) {
        sps.frameRate = timeScale / (2 * numUnitsInTick);
        sps.fixedFrameRate = fixed;
      }
    }
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
  }
}

/** 7.3.2.1.1.1: a scaling list is delta-coded; only its length in bits matters here. */
function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      const delta = r.readSeIn('delta_scale', -128, 127);
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

function hex2(value: number): string {
  return (value & 0xff).toString(16).padStart(2, '0').toUpperCase();
}

/** `avc1.PPCCLL`: profile_idc, the constraint byte and level_idc, in hex. */
export function avcCodecString(profileIdc: number, constraintFlags: number, levelIdc: number): string {
  return `avc1.${hex2(profileIdc)}${hex2(constraintFlags)}${hex2(levelIdc)}`;
}

/** The codec string for an SPS NAL unit (or a parsed one), for WebCodecs and `video/mp4; codecs="…"`. */
export function codecString(sps: Uint8Array | Sps): string {
  const parsed = sps instanceof Uint8Array ? parseSps(sps) : sps;
  return avcCodecString(parsed.profileIdc, parsed.constraintFlags, parsed.levelIdc);
}
