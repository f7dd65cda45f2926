/**
 * RTP, RTCP and SDP for the RTSP server: payloaders per codec, packets laid out once per unit and
 * stamped per receiver, sender reports, session descriptions. Pure functions over Uint8Array.
 */
export { aacDepacketize, aacPayloads, audioSpecificConfig, MAX_AAC_FRAME } from './aac.js';
export { base64 } from './base64.js';
export { G711_CLOCK_RATE, g711Payloads, PCMA_PAYLOAD_TYPE, PCMU_PAYLOAD_TYPE } from './g711.js';
export { h264Depacketize, h264Payloads } from './h264.js';
export { h265Depacketize, h265Payloads } from './h265.js';
export { OPUS_CLOCK_RATE, opusPayloads } from './opus.js';
export {
  INTERLEAVED_PREFIX_BYTES,
  MAX_INTERLEAVED_BYTES,
  readRtpHeader,
  RTP_HEADER_BYTES,
  RtpPackets,
  type RtpPayload,
  type RtpStamp,
} from './packet.js';
export { readSenderReport, senderReport, type SenderReport } from './rtcp.js';
export {
  aacMedia,
  buildSdp,
  g711Media,
  h264Media,
  h265Media,
  opusMedia,
  type SdpMedia,
  type SdpSession,
} from './sdp.js';
