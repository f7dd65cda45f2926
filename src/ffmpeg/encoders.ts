/**
 * H.264 encoders: the ffmpeg arguments for each. Every encoder is tuned for live viewing:
 * no B-frames (a picture is sent as soon as it is encoded), a keyframe every
 * keyframe_interval seconds (a new viewer starts there), SPS/PPS before every
 * keyframe and access unit delimiters (so the access-unit splitter cuts
 * exactly), and the picture in 4:2:0 (what browsers decode). encoder-choice.ts
 * picks one for `auto`.
 */

export const ENCODERS = ['libx264', 'h264_rkmpp', 'h264_v4l2m2m', 'h264_vaapi', 'h264_nvenc', 'h264_qsv'] as const;
export type Encoder = (typeof ENCODERS)[number];
export type EncoderChoice = 'auto' | Encoder;

/** The order `auto` tries them in: the boards' encoders, then desktop GPUs, then software. */
export const AUTO_ORDER: readonly Encoder[] = [
  'h264_rkmpp',
  'h264_v4l2m2m',
  'h264_vaapi',
  'h264_nvenc',
  'h264_qsv',
  'libx264',
];

/** VAAPI's render node (the first GPU). */
export const VAAPI_DEVICE = '/dev/dri/renderD128';

export interface EncodeSettings {
  /** kbit/s. */
  bitrate: number;
  /** Seconds between keyframes. */
  keyframeInterval: number;
  /**
   * The input's frames per second, when known: the encoder's rate control spends bitrate / fps per frame, and
   * the GOP length in frames (keyframes are forced by time anyway).
   */
  fps?: number;
  /** Scales the picture down to at most this width, keeping its aspect (an even height): a sub-stream. */
  maxWidth?: number;
  /** Keeps at most this many pictures a second (a smaller stream still), dropping the rest before encoding. */
  maxFps?: number;
}

export interface EncoderArgs {
  /** Before `-i` (a hardware device to open). */
  input: string[];
  /** After the input: filters, codec and its options, bitstream filters. */
  output: string[];
}

/** A sensible bitrate for a picture size, in kbit/s: about 2000 for 1280x720 at 30 fps, scaled by area. */
export function defaultBitrate(width: number, height: number, fps = 30): number {
  const area = (width * height) / (1280 * 720);
  const rate = Math.max(0.5, Math.min(2, fps / 30));
  return Math.round(Math.min(20_000, Math.max(200, 2000 * area * Math.sqrt(rate))));
}

/** SPS/PPS before every keyframe (an encoder may keep them in extradata only), and a delimiter per access unit. */
export const H264_BITSTREAM_FILTERS = 'dump_extra=freq=keyframe,h264_metadata=aud=insert';

export function encoderArgs(encoder: Encoder, settings: EncodeSettings): EncoderArgs {
  const seconds = Math.min(2, Math.max(0.1, settings.keyframeInterval));
  const fps = Math.min(settings.fps ?? 30, settings.maxFps ?? Infinity);
  const gop = String(Math.max(1, Math.round(seconds * fps)));
  const kbps = Math.round(settings.bitrate);
  // Rate control with a VBV (maxrate, bufsize of half a second) at the configured figure. Encoders fill their
  // VBV per frame at maxrate / frame rate: the frame rate they are told must be the input's (`-r`), or the
  // figure is off by their ratio (told 25, fed 30: +20 %). The caller measures it when nobody configured it.
  const frameRate = settings.fps ? ['-r', String(settings.fps)] : [];
  const rate = [
    ...frameRate,
    ...['-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${Math.max(1, Math.round(kbps / 2))}k`],
  ];
  // Keyframes by time, whatever the frame rate (JPEG cameras' rates wander).
  const keyframes = ['-g', gop, '-force_key_frames', `expr:gte(t,n_forced*${seconds})`];
  const tail = ['-bsf:v', H264_BITSTREAM_FILTERS];
  // A sub-stream: never wider than maxWidth, the aspect kept, the height even (4:2:0 wants it); at most maxFps
  // pictures a second: the first picture of each 1/maxFps slot of its timestamp, none held back to choose.
  const filters = [
    ...(settings.maxFps
      ? [`select='isnan(prev_selected_t)+gt(floor(t*${settings.maxFps}),floor(prev_selected_t*${settings.maxFps}))'`]
      : []),
    ...(settings.maxWidth ? [`scale='min(${Math.round(settings.maxWidth)},iw)':-2`] : []),
  ];
  const scale = filters.length > 0 ? filters.join(',') : undefined;
  const vf = scale ? ['-vf', scale] : [];
  switch (encoder) {
    case 'libx264':
      return {
        input: [],
        output: [
          ...vf,
          '-pix_fmt',
          'yuv420p',
          '-c:v',
          'libx264',
          '-preset',
          'veryfast',
          '-tune',
          'zerolatency',
          '-profile:v',
          'high',
          '-bf',
          '0',
          ...keyframes,
          '-sc_threshold',
          '0',
          '-forced-idr',
          '1',
          ...rate,
          ...tail,
        ],
      };
    case 'h264_rkmpp':
      // Rockchip's MPP (RK3588 and kin): takes NV12 from memory.
      return {
        input: [],
        output: [
          ...vf,
          '-pix_fmt',
          'nv12',
          '-c:v',
          'h264_rkmpp',
          '-profile:v',
          'high',
          '-bf',
          '0',
          ...keyframes,
          ...rate,
          ...tail,
        ],
      };
    case 'h264_v4l2m2m':
      // The Raspberry Pi's (and other SoCs') V4L2 memory-to-memory encoder.
      return {
        input: [],
        output: [...vf, '-pix_fmt', 'yuv420p', '-c:v', 'h264_v4l2m2m', '-bf', '0', ...keyframes, ...rate, ...tail],
      };
    case 'h264_vaapi':
      // Intel and AMD GPUs: frames uploaded to the GPU as NV12.
      return {
        input: ['-vaapi_device', VAAPI_DEVICE],
        output: [
          '-vf',
          scale ? `${scale},format=nv12,hwupload` : 'format=nv12,hwupload',
          '-c:v',
          'h264_vaapi',
          // VBR: the driver honours maxrate (its default mode may not).
          '-rc_mode',
          'VBR',
          '-profile:v',
          'high',
          '-bf',
          '0',
          ...keyframes,
          ...rate,
          ...tail,
        ],
      };
    case 'h264_nvenc':
      return {
        input: [],
        output: [
          ...vf,
          '-pix_fmt',
          'yuv420p',
          '-c:v',
          'h264_nvenc',
          '-preset',
          'llhp',
          // VBR with the VBV below: the peak held at maxrate, keyframes included.
          '-rc',
          'vbr',
          '-zerolatency',
          '1',
          '-bf',
          '0',
          '-forced-idr',
          '1',
          ...keyframes,
          ...rate,
          ...tail,
        ],
      };
    case 'h264_qsv':
      return {
        input: [],
        output: [
          ...vf,
          '-pix_fmt',
          'nv12',
          '-c:v',
          'h264_qsv',
          '-preset',
          'veryfast',
          '-look_ahead',
          '0',
          '-async_depth',
          '1',
          '-bf',
          '0',
          ...keyframes,
          ...rate,
          ...tail,
        ],
      };
  }
}
