/** The SDP media section of a camera's video track, from its configuration (avcC or hvcC). */
import { NAL_CODECS } from '../../codec/video.js';
import { h264Media, h265Media, type SdpMedia } from '../../codec/rtp/index.js';
import type { TrackConfig } from '../../media/index.js';

export const VIDEO_PAYLOAD_TYPE = 96;

/**
 * CodecError when the record does not parse; RangeError when a parameter set is missing. `fps`: the
 * camera's measured rate, said in the SDP (a client then starts without measuring it).
 */
export function videoMedia(config: TrackConfig, fps?: number): SdpMedia {
  const framerate = fps !== undefined && fps >= 1 ? Math.round(fps) : undefined;
  return { ...sdpMedia(config), ...(framerate === undefined ? {} : { framerate }) };
}

function sdpMedia(config: TrackConfig): SdpMedia {
  if ((config.codec !== 'h264' && config.codec !== 'h265') || !config.description)
    throw new RangeError(`a ${config.codec} track has no RTP description`);
  const sets = NAL_CODECS[config.codec].parameterSets(config.description);
  if (config.codec === 'h264') {
    return h264Media(
      VIDEO_PAYLOAD_TYPE,
      sets.filter((n) => (n[0]! & 0x1f) === 7),
      sets.filter((n) => (n[0]! & 0x1f) === 8),
    );
  }
  const type = (n: Uint8Array): number => (n[0]! >> 1) & 0x3f;
  return h265Media(VIDEO_PAYLOAD_TYPE, {
    vps: sets.filter((n) => type(n) === 32),
    sps: sets.filter((n) => type(n) === 33),
    pps: sets.filter((n) => type(n) === 34),
  });
}
