/**
 * The pieces of a capture's command line, in ffmpeg's terms: how to open an input fast, how to copy a
 * camera's H.264 or H.265 untouched, how to encode JPEG, and the test pattern. Which source uses which is
 * the sources' business (src/sources/ffmpeg/capture-plan.ts). Every capture ends in the same container on
 * stdout (output.ts).
 */
import type { NalCodec } from '../codec/video.js';
import { filterQuote, findFont } from './font.js';
import { jpegOutput, nalOutput, type JpegFraming, type NalFraming } from './output.js';

export const HEAD: readonly string[] = ['-hide_banner', '-nostdin', '-loglevel', 'warning'];

/** Maps a 1..100 quality to ffmpeg's mjpeg qscale (2 best .. 31 worst). */
export function qscale(quality: number): number {
  const q = Math.min(100, Math.max(1, quality));
  return Math.round(2 + ((100 - q) * 29) / 99);
}

/** Video encoded to JPEG at this quality (no audio). */
export function jpegEncode(quality: number): string[] {
  return ['-an', '-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', String(qscale(quality))];
}

/** Video copied untouched (no audio). */
export const COPY: readonly string[] = ['-an', '-c:v', 'copy'];

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

/**
 * For H.264 copied from an input whose container is known (RTSP, V4L2): stream info from the first
 * packet, and that packet kept. Not `-fflags nobuffer`, which would drop the probed packets, the
 * first keyframe with them, and start only at the next one (seconds later with a camera's GOP).
 */
export const FIRST_PACKET: readonly string[] = ['-probesize', '32', '-analyzeduration', '0'];

/**
 * For MPEG-TS: the input's timestamps as they are (`-copyts`), and a packet without a PTS given its DTS:
 * an RTSP camera's first packets before ffmpeg knows it has B-frames have none, which the MPEG-TS muxer
 * refuses (and would stop at).
 */
export const TIMESTAMPS_KEPT: readonly string[] = ['-copyts'];
export const PTS_FROM_DTS = 'setts=pts=if(eq(PTS\\,NOPTS)\\,DTS\\,PTS)';

/** A capture that copies the input's H.264 or H.265 as it is, to stdout in this framing. */
export function copyNalArgs(input: readonly string[], codec: NalCodec, framing: NalFraming): string[] {
  if (framing === 'mpegts') {
    const filters = `${PTS_FROM_DTS},${COPY_FILTERS[codec]}`;
    return [...HEAD, ...input, ...COPY, ...TIMESTAMPS_KEPT, '-bsf:v', filters, ...nalOutput(framing, codec)];
  }
  return [...HEAD, ...input, ...COPY, '-bsf:v', COPY_FILTERS[codec], ...nalOutput(framing, codec)];
}

/**
 * A capture whose JPEGs go out in this framing (output.ts: in MPEG-TS each with the input's time, the
 * encoder's frame times for what is encoded): the input's own (`video` COPY) or encoded (jpegEncode()).
 */
export function jpegArgs(
  input: readonly string[],
  video: readonly string[],
  filters: readonly string[] = [],
  framing: JpegFraming = 'mpjpeg',
): string[] {
  return [...HEAD, ...input, ...filters, ...video, ...jpegOutput(framing)];
}

/**
 * The generated test pattern with the camera's label, the clock and the frame number on it. In MPEG-TS each
 * picture's time is its frame number at `fps`: even, whatever the load (`-re` only paces the reading).
 */
export function testPatternArgs(
  label: string,
  width: number,
  height: number,
  fps: number,
  quality: number,
  framing: JpegFraming = 'mpjpeg',
): string[] {
  const font = findFont();
  const filters: string[] = [];
  if (font) {
    const text = `camrelay ${label}  %{localtime\\:%F %T}  frame %{n}`;
    filters.push(
      `drawtext=fontfile=${filterQuote(font)}:text='${text}':x=24:y=h-th-24:fontsize=${Math.max(12, Math.round(height / 20))}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=8`,
    );
  }
  const input = ['-re', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`];
  return jpegArgs(input, jpegEncode(quality), filters.length ? ['-vf', filters.join(',')] : [], framing);
}
