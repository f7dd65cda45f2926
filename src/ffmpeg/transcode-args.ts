/**
 * A transcoder's ffmpeg command line (transcoder.ts runs it): JPEG or H.264/H.265 in on stdin, H.264
 * (encoded with the chosen encoder, maybe scaled and thinned) or JPEGs out on stdout. Every input is
 * read from its first unit (no probing ahead), one decoding thread (frame threads would hold a
 * picture back per thread).
 */
import type { Codec, TrackConfig } from '../media/index.js';
import { qscale } from './capture-args.js';
import { defaultBitrate, encoderArgs, type Encoder } from './encoders.js';
import { MPJPEG_BOUNDARY, nalOutput, type NalFraming } from './output.js';

export interface TranscodePlan {
  to: Codec;
  /** The input's configuration the child is started for. */
  config: TrackConfig;
  /** ffmpeg's name of the input's format (mpjpeg, h264, hevc). */
  inputFormat: string;
  /** The input is H.264 or H.265 (decoded, scaled, encoded again), not JPEG. */
  fromVideo: boolean;
  /** How this ffmpeg passes timestamps through (capabilities.ts). */
  timing: string[];
  /** How this ffmpeg hands encoded H.264 over (capabilities.ts). */
  framing: NalFraming;
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

export function transcodeArgs(plan: TranscodePlan): string[] {
  const { config, options, fps } = plan;
  const head = ['-hide_banner', '-nostdin', '-loglevel', 'warning'];
  // Start at the first unit. Not `-fflags nobuffer`: it drops the probed packets, or holds one back.
  const fast = ['-probesize', '32', '-analyzeduration', '0'];
  if (plan.to === 'jpeg') {
    return [
      ...head,
      ...fast,
      '-flags',
      'low_delay',
      '-f',
      plan.inputFormat,
      '-i',
      'pipe:0',
      '-an',
      // The raw stream has no timestamps: frame numbers as seconds, strictly increasing in any time base.
      ...plan.timing,
      '-vf',
      'setpts=N/TB',
      // One thread: a frame-threaded JPEG encoder would hold a frame back per thread.
      '-threads',
      '1',
      '-c:v',
      'mjpeg',
      '-pix_fmt',
      'yuvj420p',
      '-q:v',
      String(qscale(options.quality ?? 80)),
      '-f',
      'mpjpeg',
      '-boundary_tag',
      MPJPEG_BOUNDARY,
      'pipe:1',
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
  // In MPEG-TS each packet keeps the encoder's timestamp: its input's arrival (on the wall clock, copied
  // as it is, so a transcoder started again goes on from the last one's time).
  const keep = plan.framing === 'mpegts' ? ['-copyts'] : [];
  if (plan.fromVideo) {
    // H.264 or H.265 to H.264 (an H.265 camera's H.264, any camera's sub-stream): decoded, scaled, encoded again.
    return [
      ...head,
      ...encoder.input,
      ...fast,
      '-flags',
      'low_delay',
      // Each access unit stamped when it arrives: keyframes forced by time follow the camera's clock.
      '-use_wallclock_as_timestamps',
      '1',
      '-threads',
      '1',
      '-f',
      plan.inputFormat,
      '-i',
      'pipe:0',
      '-an',
      ...plan.timing,
      ...keep,
      ...encoder.output,
      ...nalOutput(plan.framing),
    ];
  }
  return [
    ...head,
    ...encoder.input,
    ...fast,
    // Each JPEG is stamped when it arrives: the encoder sees the camera's real timing.
    '-use_wallclock_as_timestamps',
    '1',
    '-threads',
    '1',
    '-f',
    'mpjpeg',
    '-i',
    'pipe:0',
    '-an',
    ...plan.timing,
    ...keep,
    ...encoder.output,
    // Each packet framed with its length where this ffmpeg allows: out as soon as it is encoded.
    ...nalOutput(plan.framing),
  ];
}
