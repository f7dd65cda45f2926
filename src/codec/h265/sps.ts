/**
 * The H.265 sequence parameter set (ITU-T H.265 7.3.2.2.1) up to the bit depths: the general
 * profile, tier and level, chroma format, and the picture size after the conformance window;
 * and the codec string of WebCodecs and MSE (ISO/IEC 14496-15 E.3),
 * `hvc1.<profile>.<compatibility>.<tier><level>.<constraints>`. Every field is range-checked
 * and the picture is at most MAX_DIMENSION on a side: an SPS from an untrusted camera either
 * parses to plausible numbers or throws CodecError.
 */
import { BitReader, removeEmulationPrevention } from '../bits.js';
import { CodecError } from '../errors.js';
import { MAX_DIMENSION, MAX_SPS_BYTES } from '../h264/sps.js';
import { HevcNalType, hevcTypeOf } from './nal.js';

export { MAX_DIMENSION, MAX_SPS_BYTES };

/** profile_tier_level's general part, as the hvcC record carries it. */
export interface ProfileTierLevel {
  /** 0..3 (0 for every profile in use). */
  profileSpace: number;
  /** 0 Main tier, 1 High tier. */
  tier: number;
  profileIdc: number;
  /** general_profile_compatibility_flag[0..31], flag 0 in the most significant bit. */
  compatibilityFlags: number;
  /** The 48 bits from general_progressive_source_flag on, as 6 bytes. */
  constraintBytes: Uint8Array;
  /** 30 times the level (93 is level 3.1). */
  levelIdc: number;
}

export interface HevcSps extends ProfileTierLevel {
  vpsId: number;
  spsId: number;
  /** sps_max_sub_layers_minus1 + 1. */
  maxSubLayers: number;
  temporalIdNesting: boolean;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  /** Coded size, before the conformance window. */
  codedWidth: number;
  codedHeight: number;
  /** In luma samples, already multiplied by the chroma subsampling. */
  crop: { left: number; right: number; top: number; bottom: number };
  /** Displayed size, after the conformance window. */
  width: number;
  height: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
}

/** profile_tier_level(1, maxSubLayersMinus1) (7.3.3): the general part read, the sub-layers' skipped. */
export function readProfileTierLevel(r: BitReader, maxSubLayersMinus1: number): ProfileTierLevel {
  const profileSpace = r.readBits(2);
  const tier = r.readBits(1);
  const profileIdc = r.readBits(5);
  const compatibilityFlags = r.readBits(32);
  const constraintBytes = new Uint8Array(6);
  for (let i = 0; i < 6; i++) constraintBytes[i] = r.readBits(8);
  const levelIdc = r.readBits(8);
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.readFlag());
    levelPresent.push(r.readFlag());
  }
  if (maxSubLayersMinus1 > 0) r.skipBits(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) r.skipBits(88);
    if (levelPresent[i]) r.skipBits(8);
  }
  return { profileSpace, tier, profileIdc, compatibilityFlags, constraintBytes, levelIdc };
}

/** Parses an SPS NAL unit (with its 2-byte header, type 33). */
export function parseHevcSps(nal: Uint8Array): HevcSps {
  if (nal.length < 4) throw new CodecError('truncated', `H.265 SPS of ${nal.length} bytes`);
  const type = hevcTypeOf(nal[0]!);
  if (type !== HevcNalType.SPS) throw new CodecError('invalid', `NAL type ${type} is not an H.265 SPS`);
  if (nal.length > MAX_SPS_BYTES) throw new CodecError('too-large', `H.265 SPS of ${nal.length} bytes`);
  const r = new BitReader(removeEmulationPrevention(nal.subarray(2)));

  const vpsId = r.readBits(4);
  const maxSubLayersMinus1 = r.readBits(3);
  if (maxSubLayersMinus1 > 6) throw new CodecError('invalid', `sps_max_sub_layers_minus1 ${maxSubLayersMinus1} over 6`);
  const temporalIdNesting = r.readFlag();
  const ptl = readProfileTierLevel(r, maxSubLayersMinus1);
  const spsId = r.readUeIn('sps_seq_parameter_set_id', 0, 15);
  const chromaFormatIdc = r.readUeIn('chroma_format_idc', 0, 3);
  const separateColourPlane = chromaFormatIdc === 3 ? r.readFlag() : false;
  const codedWidth = r.readUe();
  const codedHeight = r.readUe();
  if (codedWidth < 1 || codedHeight < 1)
    throw new CodecError('invalid', `coded picture of ${codedWidth}x${codedHeight}`);
  if (codedWidth > MAX_DIMENSION || codedHeight > MAX_DIMENSION) {
    throw new CodecError('too-large', `picture of ${codedWidth}x${codedHeight}: over ${MAX_DIMENSION} on a side`);
  }
  // 7.4.3.2.1 and table 6-1: the window's offsets are in chroma samples.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.readFlag()) {
    crop.left = subWidthC * r.readUeIn('conf_win_left_offset', 0, MAX_DIMENSION);
    crop.right = subWidthC * r.readUeIn('conf_win_right_offset', 0, MAX_DIMENSION);
    crop.top = subHeightC * r.readUeIn('conf_win_top_offset', 0, MAX_DIMENSION);
    crop.bottom = subHeightC * r.readUeIn('conf_win_bottom_offset', 0, MAX_DIMENSION);
  }
  const width = codedWidth - crop.left - crop.right;
  const height = codedHeight - crop.top - crop.bottom;
  if (width < 1 || height < 1) {
    throw new CodecError('invalid', `the conformance window leaves ${width}x${height} of ${codedWidth}x${codedHeight}`);
  }
  const bitDepthLuma = 8 + r.readUeIn('bit_depth_luma_minus8', 0, 8);
  const bitDepthChroma = 8 + r.readUeIn('bit_depth_chroma_minus8', 0, 8);
  return {
    ...ptl,
    vpsId,
    spsId,
    maxSubLayers: maxSubLayersMinus1 + 1,
    temporalIdNesting,
    chromaFormatIdc,
    separateColourPlane,
    codedWidth,
    codedHeight,
    crop,
    width,
    height,
    bitDepthLuma,
    bitDepthChroma,
  };
}

/** The 32 compatibility flags in the other bit order (flag 0 least significant), as E.3 writes them. */
function reverseBits32(value: number): number {
  let out = 0;
  for (let i = 0; i < 32; i++) out = out * 2 + ((value >>> i) & 1);
  return out;
}

/**
 * `hvc1.<profile>.<compatibility>.<L|H><level>.<constraints>` (ISO/IEC 14496-15 E.3): the profile
 * space as a letter before the profile (none for 0), the compatibility flags reversed in hex, the
 * tier and level, then the constraint bytes in hex with trailing zero bytes left out (one kept).
 */
export function hevcCodecString(ptl: ProfileTierLevel): string {
  const space = ['', 'A', 'B', 'C'][ptl.profileSpace & 3]!;
  const compat = reverseBits32(ptl.compatibilityFlags).toString(16).toUpperCase();
  let last = ptl.constraintBytes.length;
  while (last > 1 && ptl.constraintBytes[last - 1] === 0) last--;
  const constraints = Array.from(ptl.constraintBytes.subarray(0, last), (b) =>
    b.toString(16).toUpperCase().padStart(2, '0'),
  );
  return `hvc1.${space}${ptl.profileIdc}.${compat}.${ptl.tier ? 'H' : 'L'}${ptl.levelIdc}.${constraints.join('.')}`;
}
