/**
 * A video access unit's RTP packets, made once and shared by every RTSP client (WeakMap on the frozen
 * unit): its NAL units as they are (the camera's own, byte-exact), and before a keyframe that does not
 * carry them, the parameter sets of its configuration, so that a client starting there or after a
 * change of configuration can decode it whatever the SDP said.
 */
import { splitAvc } from '../../codec/annexb.js';
import { CodecError } from '../../codec/errors.js';
import { h264Payloads, h265Payloads, RtpPackets } from '../../codec/rtp/index.js';
import { NAL_CODECS } from '../../codec/video.js';
import type { AccessUnit, TrackConfig } from '../../media/index.js';
import { VIDEO_PAYLOAD_TYPE } from './describe.js';

/** RTP payload bound: packets of 1412 bytes fit a 1500-byte path with IPv6 and UDP headers. */
export const MAX_RTP_PAYLOAD = 1400;

const packetsOf = new WeakMap<AccessUnit, RtpPackets | null>();
const setsOf = new WeakMap<TrackConfig, Uint8Array[]>();

/** Undefined for a unit that cannot be sent (not H.264/H.265, or NAL lengths that do not parse). */
export function videoPackets(unit: AccessUnit): RtpPackets | undefined {
  const cached = packetsOf.get(unit);
  if (cached !== undefined) return cached ?? undefined;
  let packets: RtpPackets | null = null;
  try {
    packets = build(unit);
  } catch (err) {
    if (!(err instanceof CodecError) && !(err instanceof RangeError)) throw err;
  }
  packetsOf.set(unit, packets);
  return packets ?? undefined;
}

function build(unit: AccessUnit): RtpPackets | null {
  const codec = unit.config.codec;
  if (codec !== 'h264' && codec !== 'h265') return null;
  let nalus = splitAvc(unit.data);
  if (unit.keyframe) {
    const spsType = codec === 'h264' ? 7 : 33;
    const typeOf = codec === 'h264' ? (n: Uint8Array) => n[0]! & 0x1f : (n: Uint8Array) => (n[0]! >> 1) & 0x3f;
    if (!nalus.some((n) => typeOf(n) === spsType)) nalus = [...parameterSets(unit.config), ...nalus];
  }
  const payloads = codec === 'h264' ? h264Payloads(nalus, MAX_RTP_PAYLOAD) : h265Payloads(nalus, MAX_RTP_PAYLOAD);
  return new RtpPackets(payloads, VIDEO_PAYLOAD_TYPE);
}

function parameterSets(config: TrackConfig): Uint8Array[] {
  let sets = setsOf.get(config);
  if (!sets) {
    const codec = config.codec === 'h265' ? 'h265' : 'h264';
    sets = config.description ? NAL_CODECS[codec].parameterSets(config.description) : [];
    setsOf.set(config, sets);
  }
  return sets;
}
