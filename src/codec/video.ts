/**
 * What differs between H.264 and H.265 for code that handles either without decoding it (the
 * server's sources and transcoders): the splitter's rules, the NAL type, the delimiter, the
 * configuration a stream's parameter sets make (size, codec string, avcC or hvcC) and the
 * parameter sets back from that record. One table, so that callers look a codec up instead of
 * branching on it.
 */
import type { NalRules } from './access-units.js';
import { H264_RULES } from './h264/access-units.js';
import { buildAvcC, parseAvcC } from './h264/avcc.js';
import { NalType } from './h264/nal.js';
import { codecString, parseSps } from './h264/sps.js';
import { H265_RULES } from './h265/access-units.js';
import { buildHvcC, parseHvcC } from './h265/hvcc.js';
import { HEVC_AUD, HevcNalType } from './h265/nal.js';
import { hevcCodecString, parseHevcSps } from './h265/sps.js';

export type NalCodec = 'h264' | 'h265';

export interface ParameterSets {
  /** H.265 only (empty for H.264). */
  vps: readonly Uint8Array[];
  sps: readonly Uint8Array[];
  pps: readonly Uint8Array[];
}

export interface StreamDescription {
  width: number;
  height: number;
  /** RFC 6381: `avc1.…` or `hvc1.…`. */
  codecString: string;
  /** avcC or hvcC. */
  description: Uint8Array;
}

export interface NalCodecSupport {
  /** For messages: `H.264`, `H.265`. */
  readonly name: string;
  /** For messages: the parameter sets a configuration is made of, `SPS/PPS` or `VPS/SPS/PPS`. */
  readonly setNames: string;
  readonly rules: NalRules;
  /** nal_unit_type of the delimiter. */
  readonly audType: number;
  /** The codec's parameter sets a configuration needs (H.265 also needs a VPS). */
  complete(sets: ParameterSets): boolean;
  /** An access unit delimiter that fits any picture. */
  readonly aud: Uint8Array;
  /** From the stream's parameter sets; CodecError if they do not parse. */
  describe(sets: ParameterSets): StreamDescription;
  /** The parameter sets of a record (avcC, hvcC), in decoding order; CodecError if it does not parse. */
  parameterSets(description: Uint8Array): Uint8Array[];
}

const H264: NalCodecSupport = {
  name: 'H.264',
  setNames: 'SPS/PPS',
  rules: H264_RULES,
  audType: NalType.AUD,
  complete: (sets) => sets.sps.length > 0 && sets.pps.length > 0,
  // primary_pic_type 7: any slice type.
  aud: new Uint8Array([NalType.AUD, 0xf0]),
  describe(sets) {
    const sps = parseSps(sets.sps[0]!);
    const description = buildAvcC({ sps: sets.sps, pps: sets.pps });
    return { width: sps.width, height: sps.height, codecString: codecString(sps), description };
  },
  parameterSets(description) {
    const record = parseAvcC(description);
    return [...record.sps, ...record.pps];
  },
};

const H265: NalCodecSupport = {
  name: 'H.265',
  setNames: 'VPS/SPS/PPS',
  rules: H265_RULES,
  audType: HevcNalType.AUD,
  complete: (sets) => sets.vps.length > 0 && sets.sps.length > 0 && sets.pps.length > 0,
  aud: HEVC_AUD,
  describe(sets) {
    const sps = parseHevcSps(sets.sps[0]!);
    const description = buildHvcC(sets);
    return { width: sps.width, height: sps.height, codecString: hevcCodecString(sps), description };
  },
  parameterSets(description) {
    const record = parseHvcC(description);
    return [...record.vps, ...record.sps, ...record.pps];
  },
};

export const NAL_CODECS: Readonly<Record<NalCodec, NalCodecSupport>> = { h264: H264, h265: H265 };

/** Whether a codec name is one of these (JPEG is not). */
export function isNalCodec(codec: string): codec is NalCodec {
  return codec === 'h264' || codec === 'h265';
}
