/**
 * Builds the ffmpeg command line for a source. Every source ends in the same
 * container on stdout, mpjpeg, which the framing parser splits by
 * Content-length: JPEG pictures, or H.264 or H.265 access units (the muxer frames any
 * codec's packets, so each access unit is out as soon as ffmpeg has it). JPEG,
 * H.264 and H.265 from the camera are copied, never re-encoded or decoded; anything
 * else is encoded to JPEG once here, whatever the viewer count.
 */
import type { NalCodec } from '../../codec/video.js';
import type { CaptureOptions, SourceSpec } from '../spec.js';
import { filterQuote, findFont } from './font.js';
import { h264Output, type H264Framing } from './framing.js';
import type { UpstreamCodec } from './probe.js';

export const MPJPEG_BOUNDARY = 'camrelay';

/** Maps a 1..100 quality to ffmpeg's mjpeg qscale (2 best .. 31 worst). */
export function qscale(quality: number): number {
  const q = Math.min(100, Math.max(1, quality));
  return Math.round(2 + ((100 - q) * 29) / 99);
}

const V4L2_INPUT_FORMAT = { mjpeg: 'mjpeg', yuyv: 'yuyv422', nv12: 'nv12', h264: 'h264' } as const;

/** URLs of cameras that serve MJPEG over HTTP (mjpg-streamer, IP camera CGI endpoints, .mjpg files). */
export function looksLikeMjpegUrl(raw: string): boolean {
  return /action=stream|mjpe?g|\.cgi(\?|$)|faststream|video\.mjpg/i.test(raw);
}

export function isMjpegFile(path: string): boolean {
  return /\.(mjpe?g|mjpg)$/i.test(path);
}

export interface FfmpegPlan {
  args: string[];
  /** True when the camera's pictures (JPEG, H.264 or H.265) are copied untouched. */
  passthrough: boolean;
  /** What comes out: JPEG pictures, or H.264 or H.265 access units (Annex B), each an mpjpeg part. */
  output: 'jpeg' | NalCodec;
}

/**
 * For H.264 copied from the camera: Annex B even from MP4 (mp4toannexb passes Annex B through), and
 * SPS/PPS before every keyframe (many cameras send them once, out of band). No delimiters are
 * inserted: each access unit comes framed as an mpjpeg part anyway, and h264_metadata would parse
 * every NAL unit of the camera's stream and stop ffmpeg at the first it finds unusual.
 */
export const H264_COPY_FILTERS = 'h264_mp4toannexb,dump_extra=freq=keyframe';
/** The same for H.265 (VPS/SPS/PPS before every keyframe). */
export const H265_COPY_FILTERS = 'hevc_mp4toannexb,dump_extra=freq=keyframe';
const COPY_FILTERS: Readonly<Record<NalCodec, string>> = { h264: H264_COPY_FILTERS, h265: H265_COPY_FILTERS };

/** The upstream codecs copied as they are. */
export function copiedCodec(upstream: UpstreamCodec | undefined): NalCodec | undefined {
  return upstream === 'h264' || upstream === 'h265' ? upstream : undefined;
}

/**
 * For H.264 copied from an input whose container is known (RTSP, V4L2): stream info from the first
 * packet, and that packet kept. Not `-fflags nobuffer`, which would drop the probed packets, the
 * first keyframe with them, and start only at the next one (seconds later with a camera's GOP).
 */
const FIRST_PACKET = ['-probesize', '32', '-analyzeduration', '0'];

/**
 * `upstream` is what the source was found to send (probe.ts), when it was asked: `h264` and `h265`
 * are copied, `mjpeg` passed through; without it the source's kind and URL decide, as before.
 * `framing`: how this ffmpeg hands H.264 over (framing.ts).
 */
export function ffmpegArgs(
  spec: SourceSpec,
  options: CaptureOptions,
  label: string,
  upstream?: UpstreamCodec,
  framing: H264Framing = 'mpjpeg',
): FfmpegPlan {
  const head = ['-hide_banner', '-nostdin', '-loglevel', 'warning'];
  const encode = ['-an', '-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', String(qscale(options.quality))];
  const copy = ['-an', '-c:v', 'copy'];
  const out = ['-f', 'mpjpeg', '-boundary_tag', MPJPEG_BOUNDARY, 'pipe:1'];
  const video = (input: string[], codec: NalCodec = 'h264'): FfmpegPlan => ({
    args: [...head, ...input, ...copy, '-bsf:v', COPY_FILTERS[codec], ...h264Output(framing, codec)],
    passthrough: true,
    output: codec,
  });
  const copied = copiedCodec(upstream);

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
        output: 'jpeg',
      };
    }
    case 'v4l2': {
      const input = ['-f', 'v4l2'];
      if (spec.format) input.push('-input_format', V4L2_INPUT_FORMAT[spec.format]);
      if (spec.width && spec.height) input.push('-video_size', `${spec.width}x${spec.height}`);
      if (spec.fps) input.push('-framerate', String(spec.fps));
      input.push('-i', spec.device);
      if (spec.format === 'h264') return video([...FIRST_PACKET, ...input]);
      const passthrough = spec.format === 'mjpeg';
      return { args: [...head, ...input, ...(passthrough ? copy : encode), ...out], passthrough, output: 'jpeg' };
    }
    case 'rtsp': {
      if (copied) return video(['-rtsp_transport', 'tcp', ...FIRST_PACKET, '-i', spec.url], copied);
      const input = ['-rtsp_transport', 'tcp', '-fflags', 'nobuffer', '-flags', 'low_delay', '-i', spec.url];
      return { args: [...head, ...input, ...encode, ...out], passthrough: false, output: 'jpeg' };
    }
    case 'http': {
      // The container is not known in advance: probed as usual, its packets kept (no nobuffer).
      if (options.passthrough === 'auto' && copied) return video(['-i', spec.url], copied);
      const input = ['-fflags', 'nobuffer', '-i', spec.url];
      const passthrough =
        options.passthrough === 'auto'
          ? upstream
            ? upstream === 'mjpeg'
            : looksLikeMjpegUrl(spec.url)
          : options.passthrough;
      return { args: [...head, ...input, ...(passthrough ? copy : encode), ...out], passthrough, output: 'jpeg' };
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
        return { args: [...head, ...input, ...copy, ...out], passthrough: true, output: 'jpeg' };
      }
      const input = ['-re', '-stream_loop', '-1', '-i', spec.path];
      // H.264 and H.265 at their own rate are copied; another rate needs decoding, and is encoded to JPEG.
      // Looped, they go out raw with the muxer's own Annex B conversion: ffmpeg 5.1 flushes an
      // explicit -bsf at the first loop and then refuses every packet (output stops after one pass).
      if (copied && !spec.fps) {
        return { args: [...head, ...input, ...copy, ...h264Output('raw', copied)], passthrough: true, output: copied };
      }
      if (upstream === 'mjpeg' && !spec.fps) {
        return { args: [...head, ...input, ...copy, ...out], passthrough: true, output: 'jpeg' };
      }
      const filters = spec.fps ? ['-vf', `fps=${spec.fps}`] : [];
      return { args: [...head, ...input, ...filters, ...encode, ...out], passthrough: false, output: 'jpeg' };
    }
  }
}
