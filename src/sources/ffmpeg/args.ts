/**
 * Builds the ffmpeg command line for a source. Every source ends in the same
 * output: MJPEG frames in the mpjpeg container on stdout, which the framing
 * parser splits by Content-length. JPEG from the camera is copied, never
 * re-encoded; anything else is encoded once here, whatever the viewer count.
 */
import type { CaptureOptions, SourceSpec } from '../spec.js';
import { filterQuote, findFont } from './font.js';

export const MPJPEG_BOUNDARY = 'camrelay';

/** Maps a 1..100 quality to ffmpeg's mjpeg qscale (2 best .. 31 worst). */
export function qscale(quality: number): number {
  const q = Math.min(100, Math.max(1, quality));
  return Math.round(2 + ((100 - q) * 29) / 99);
}

const V4L2_INPUT_FORMAT = { mjpeg: 'mjpeg', yuyv: 'yuyv422', nv12: 'nv12' } as const;

/** URLs of cameras that serve MJPEG over HTTP (mjpg-streamer, IP camera CGI endpoints, .mjpg files). */
export function looksLikeMjpegUrl(raw: string): boolean {
  return /action=stream|mjpe?g|\.cgi(\?|$)|faststream|video\.mjpg/i.test(raw);
}

export function isMjpegFile(path: string): boolean {
  return /\.(mjpe?g|mjpg)$/i.test(path);
}

export interface FfmpegPlan {
  args: string[];
  /** True when camera JPEGs are copied untouched. */
  passthrough: boolean;
}

export function ffmpegArgs(spec: SourceSpec, options: CaptureOptions, label: string): FfmpegPlan {
  const head = ['-hide_banner', '-nostdin', '-loglevel', 'warning'];
  const encode = ['-an', '-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', String(qscale(options.quality))];
  const copy = ['-an', '-c:v', 'copy'];
  const out = ['-f', 'mpjpeg', '-boundary_tag', MPJPEG_BOUNDARY, 'pipe:1'];

  switch (spec.kind) {
    case 'testsrc': {
      const font = findFont();
      const filters = [];
      if (font) {
        const text = `camrelay ${label}  %{localtime\\:%F %T}  frame %{n}`;
        filters.push(
          `drawtext=fontfile=${filterQuote(font)}:text='${text}':x=24:y=h-th-24:fontsize=${Math.max(12, Math.round(spec.height / 20))}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=8`,
        );
      }
      const input = `testsrc2=size=${spec.width}x${spec.height}:rate=${spec.fps}`;
      return {
        args: [
          ...head,
          '-re',
          '-f',
          'lavfi',
          '-i',
          input,
          ...(filters.length ? ['-vf', filters.join(',')] : []),
          ...encode,
          ...out,
        ],
        passthrough: false,
      };
    }
    case 'v4l2': {
      const input = ['-f', 'v4l2'];
      if (spec.format) input.push('-input_format', V4L2_INPUT_FORMAT[spec.format]);
      if (spec.width && spec.height) input.push('-video_size', `${spec.width}x${spec.height}`);
      if (spec.fps) input.push('-framerate', String(spec.fps));
      input.push('-i', spec.device);
      const passthrough = spec.format === 'mjpeg';
      return { args: [...head, ...input, ...(passthrough ? copy : encode), ...out], passthrough };
    }
    case 'rtsp':
      return {
        args: [
          ...head,
          '-rtsp_transport',
          'tcp',
          '-fflags',
          'nobuffer',
          '-flags',
          'low_delay',
          '-i',
          spec.url,
          ...encode,
          ...out,
        ],
        passthrough: false,
      };
    case 'http': {
      const passthrough = options.passthrough === 'auto' ? looksLikeMjpegUrl(spec.url) : options.passthrough;
      return {
        args: [...head, '-fflags', 'nobuffer', '-i', spec.url, ...(passthrough ? copy : encode), ...out],
        passthrough,
      };
    }
    case 'file': {
      if (isMjpegFile(spec.path)) {
        // A raw stream of JPEGs has no timing of its own: pace it at fps (default 30).
        const input = [
          '-re',
          '-stream_loop',
          '-1',
          '-f',
          'mjpeg',
          '-framerate',
          String(spec.fps ?? 30),
          '-i',
          spec.path,
        ];
        return { args: [...head, ...input, ...copy, ...out], passthrough: true };
      }
      const input = ['-re', '-stream_loop', '-1', '-i', spec.path];
      const filters = spec.fps ? ['-vf', `fps=${spec.fps}`] : [];
      return { args: [...head, ...input, ...filters, ...encode, ...out], passthrough: false };
    }
  }
}
