/**
 * A transcoder's ffmpeg command line (transcoder.ts runs it): JPEG or H.264/H.265 in on stdin, in Matroska
 * with each unit's time (transcode-input.ts), and out on stdout in MPEG-TS with the same times: H.264
 * (encoded with the chosen encoder, maybe scaled and thinned) or JPEGs. The times go through as they are
 * (`-copyts`, passed through, an encoder time base of 90 kHz that rounds nothing, the muxer adding no
 * offset), so the output's pts are the input's. Every input is read from its first unit (no probing
 * ahead), one decoding thread (frame threads would hold a picture back per thread).
 */
import type { Codec, TrackConfig } from '../media/index.js';
import { qscale } from './capture-args.js';
import { defaultBitrate, encoderArgs, type Encoder } from './encoders.js';
import { jpegOutput, MPEGTS_OUTPUT } from './output.js';

export interface TranscodePlan {
  to: Codec;
  /** The input's configuration the child is started for. */
  config: TrackConfig;
  /** How this ffmpeg passes timestamps through (capabilities.ts). */
  timing: string[];
  /** Whether its encoders take `-enc_time_base` (capabilities.ts); default true. */
  encoderTimeBase?: boolean;
  encoder: Encoder;
  /** The input's frame rate, when known (the encoder's rate control needs it). */
  fps: number | undefined;
  options: {
    bitrate?: number;
    keyframeInterval?: number;
    maxWidth?: number;
    maxFps?: number;
    quality?: number;
  };
}

const HEAD = ['-hide_banner', '-nostdin', '-loglevel', 'warning'];
// Start at the first unit. Not `-fflags nobuffer`: it drops the probed packets, or holds one back.
const FAST = ['-probesize', '32', '-analyzeduration', '0'];
/** The Matroska transcode-input.ts writes, on stdin. */
const INPUT = ['-f', 'matroska', '-i', 'pipe:0', '-an'];
/**
 * Times kept: the input's (no start offset), at 90 kHz in the encoder (no rounding to a frame grid) where
 * this ffmpeg allows.
 */
function timesKept(plan: TranscodePlan): string[] {
  return plan.encoderTimeBase === false ? ['-copyts'] : ['-copyts', '-enc_time_base', '1:90000'];
}

export function transcodeArgs(plan: TranscodePlan): string[] {
  const { config, options, fps } = plan;
  if (plan.to === 'jpeg') {
    return [
      ...HEAD,
      ...FAST,
      '-flags',
      'low_delay',
      '-threads',
      '1',
      ...INPUT,
      ...plan.timing,
      ...timesKept(plan),
      // One thread: a frame-threaded JPEG encoder would hold a frame back per thread.
      '-threads',
      '1',
      '-c:v',
      'mjpeg',
      '-pix_fmt',
      'yuvj420p',
      '-q:v',
      String(qscale(options.quality ?? 80)),
      ...jpegOutput('mpegts'),
    ];
  }
  const maxWidth = options.maxWidth;
  const scaled = maxWidth && config.width > maxWidth ? maxWidth / config.width : 1;
  const maxFps = options.maxFps;
  const encoder = encoderArgs(plan.encoder, {
    bitrate: options.bitrate ?? defaultBitrate(config.width * scaled, config.height * scaled, fps),
    keyframeInterval: options.keyframeInterval ?? 1,
    ...(fps ? { fps } : {}),
    ...(maxWidth ? { maxWidth } : {}),
    ...(maxFps ? { maxFps } : {}),
  });
  // JPEG to H.264, or H.264/H.265 decoded (scaled) and encoded again: an H.265 camera's H.264, any camera's
  // sub-stream. Keyframes forced by time follow the input's clock.
  const lowDelay = config.codec !== 'jpeg' ? ['-flags', 'low_delay'] : [];
  return [
    ...HEAD,
    ...encoder.input,
    ...FAST,
    ...lowDelay,
    '-threads',
    '1',
    ...INPUT,
    ...plan.timing,
    ...timesKept(plan),
    ...encoder.output,
    '-mpegts_copyts',
    '1',
    ...MPEGTS_OUTPUT,
  ];
}
