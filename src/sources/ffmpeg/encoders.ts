/**
 * H.264 encoders: the ffmpeg arguments for each, and `auto`, which picks the
 * first that works on this machine. Every encoder is tuned for live viewing:
 * no B-frames (a picture is sent as soon as it is encoded), a keyframe every
 * keyframe_interval seconds (a new viewer starts there), SPS/PPS before every
 * keyframe and access unit delimiters (so the access-unit splitter cuts
 * exactly), and the picture in 4:2:0 (what browsers decode).
 *
 * `auto` probes once per process and ffmpeg binary: a one-frame encode of a
 * small generated picture with each candidate, hardware first, each bounded
 * in time; libx264 when none works. It logs what it chose and why.
 */
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';

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
  /** Frames per second, when known (sets the GOP length in frames; keyframes are forced by time anyway). */
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
  const rate = ['-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${Math.max(1, Math.round(kbps / 2))}k`];
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

export interface EncoderProbeOptions {
  /** The ffmpeg binary. */
  binary: string;
  /** Candidates in order (AUTO_ORDER). */
  order?: readonly Encoder[];
  /** Per candidate. Default 10 s. */
  timeoutMs?: number;
}

export interface EncoderChoiceResult {
  encoder: Encoder;
  /** Why each candidate before it was passed over. */
  rejected: { encoder: Encoder; why: string }[];
}

interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

function run(binary: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const options = { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, killSignal: 'SIGKILL' as const };
    execFile(binary, args, options, (err, stdout, stderr) =>
      resolve({ ok: !err, stdout: String(stdout), stderr: err && !stderr ? err.message : String(stderr) }),
    );
  });
}

/** What a failed probe said: its first error line (the cause), and its last (the consequence). */
function why(stderr: string, fallback: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .filter((l) => l.trim() && !/^\s*Last message repeated/.test(l))
    .map((l) => l.replace(/ @ 0x[0-9a-f]+\]/gi, ']').trim());
  const first = lines[0];
  const last = lines.at(-1);
  if (!first || !last) return fallback;
  return (first === last ? first : `${first} … ${last}`).slice(0, 300);
}

/** Encodes one small frame with `encoder`; undefined when it worked, else why not. */
export async function probeEncoder(binary: string, encoder: Encoder, timeoutMs = 10_000): Promise<string | undefined> {
  const { input, output } = encoderArgs(encoder, { bitrate: 500, keyframeInterval: 1, fps: 10 });
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...input,
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=10',
    '-frames:v',
    '1',
    ...output,
    '-f',
    'h264',
    '-y',
    '/dev/null',
  ];
  const result = await run(binary, args, timeoutMs);
  return result.ok ? undefined : why(result.stderr, `no result within ${timeoutMs} ms`);
}

/** Tries the candidates in order; the first that encodes a frame wins, libx264 when none does. */
export async function chooseEncoder(options: EncoderProbeOptions): Promise<EncoderChoiceResult> {
  const order = options.order ?? AUTO_ORDER;
  const listed = await run(options.binary, ['-hide_banner', '-encoders'], options.timeoutMs ?? 10_000);
  const rejected: EncoderChoiceResult['rejected'] = [];
  for (const encoder of order) {
    // Not built into this ffmpeg: no need to try it.
    if (listed.ok && !new RegExp(`^\\s*V\\S*\\s+${encoder}\\s`, 'm').test(listed.stdout)) {
      rejected.push({ encoder, why: 'not in this ffmpeg' });
      continue;
    }
    const failure = await probeEncoder(options.binary, encoder, options.timeoutMs);
    if (failure === undefined) return { encoder, rejected };
    rejected.push({ encoder, why: failure });
  }
  return { encoder: 'libx264', rejected };
}

const chosen = new Map<string, Promise<Encoder>>();

/**
 * The encoder to use: `choice` itself, or for `auto` the probed one (once per
 * process and binary; logged once with the reasons).
 */
export function resolveEncoder(
  choice: EncoderChoice,
  binary: string,
  log: Logger,
  probe: (o: EncoderProbeOptions) => Promise<EncoderChoiceResult> = chooseEncoder,
): Promise<Encoder> {
  if (choice !== 'auto') return Promise.resolve(choice);
  let result = chosen.get(binary);
  if (!result) {
    result = probe({ binary }).then(
      ({ encoder, rejected }) => {
        const passedOver = rejected.map((r) => `${r.encoder}: ${r.why}`);
        log.info({ encoder, passedOver }, `H.264 encoder: ${encoder} (auto)`);
        return encoder;
      },
      (err: unknown) => {
        log.warn({ err }, 'H.264 encoder probe failed; using libx264');
        return 'libx264' as const;
      },
    );
    chosen.set(binary, result);
  }
  return result;
}

/** Forgets the probed choices (tests). */
export function forgetEncoderChoices(): void {
  chosen.clear();
}
