/**
 * The ffmpeg command line for a source: which input, and whether its pictures are copied or encoded.
 * JPEG, H.264 and H.265 from the camera are copied, never re-encoded or decoded; anything else is
 * encoded to JPEG once here, whatever the viewer count. The pieces are src/ffmpeg's (capture-args.ts).
 */
import type { NalCodec } from '../../codec/video.js';
import {
  COPY,
  copyNalArgs,
  HEAD,
  FIRST_PACKET,
  jpegArgs,
  jpegEncode,
  testPatternArgs,
} from '../../ffmpeg/capture-args.js';
import { nalOutput, type JpegFraming, type NalFraming } from '../../ffmpeg/output.js';
import { AUDIO_IN_TS, audioOutput, TS_EXACT_TIMES, type CapturedAudio } from '../../ffmpeg/audio-output.js';
import type { CaptureOptions, SourceSpec } from '../spec.js';

/** What a source was found to send (probe.ts): H.264 and H.265 are copied, MJPEG passed through, the rest encoded. */
export type UpstreamCodec = 'h264' | 'h265' | 'mjpeg' | 'other';

/**
 * An RTSP camera's input: over TCP, its video alone unless `audio`. A camera with a microphone offers a
 * second stream (AAC, G.711, Opus); set up too, its packets may be all ffmpeg reads before the first-packet probe
 * ends (`-probesize 32`), and the video's size stays unknown ("Could not find codec parameters …
 * unspecified size"): with audio, the probe reads until it has both (AV_PROBE, well under a second).
 */
export function rtspInput(url: string, firstPacket: boolean, audio = false): string[] {
  const media = audio ? [] : ['-allowed_media_types', 'video'];
  const probe = firstPacket ? (audio ? AV_PROBE : FIRST_PACKET) : [];
  return ['-rtsp_transport', 'tcp', ...media, ...probe, '-i', url];
}

/** The probe of an input with audio and video: enough packets for both streams' parameters, no more. */
export const AV_PROBE: readonly string[] = ['-fflags', 'nobuffer', '-probesize', '65536', '-analyzeduration', '500000'];

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
  /** The source's audio, copied beside the video (ffmpeg/audio-output.ts), when it is read. */
  audio?: CapturedAudio;
}

/** The upstream codecs copied as they are. */
export function copiedCodec(upstream: UpstreamCodec | undefined): NalCodec | undefined {
  return upstream === 'h264' || upstream === 'h265' ? upstream : undefined;
}

/**
 * `upstream` is what the source was found to send (probe.ts), when it was asked: `h264` and `h265`
 * are copied, `mjpeg` passed through; without it the source's kind and URL decide, as before.
 * `framing`: how this ffmpeg hands H.264 over (src/ffmpeg/capabilities.ts).
 */
export function ffmpegArgs(
  spec: SourceSpec,
  options: CaptureOptions,
  label: string,
  upstream?: UpstreamCodec,
  framing: NalFraming = 'mpjpeg',
  /** An HTTP camera's response is written on ffmpeg's stdin (its one connection, already open). */
  piped = false,
  /**
   * The source's audio to copy beside its video (AAC, G.711, Opus: an RTSP or HTTP camera's, a file's),
   * when its H.264 or H.265 is passed through.
   */
  audio?: CapturedAudio,
  /**
   * How JPEGs leave this ffmpeg (capabilities.ts): in MPEG-TS, each with its time (the test pattern's frame
   * numbers, a V4L2 driver's, an RTSP camera's or a file's), except an HTTP camera's (timed by arrival).
   */
  jpegFraming: JpegFraming = 'mpjpeg',
): FfmpegPlan {
  const encode = jpegEncode(options.quality);
  const video = (input: string[], codec: NalCodec = 'h264'): FfmpegPlan => ({
    args: copyNalArgs(input, codec, framing),
    passthrough: true,
    output: codec,
  });
  const copied = copiedCodec(upstream);

  switch (spec.kind) {
    case 'testsrc':
      return {
        args: testPatternArgs(label, spec.width, spec.height, spec.fps, options.quality, jpegFraming),
        passthrough: false,
        output: 'jpeg',
      };
    case 'v4l2': {
      const input = ['-f', 'v4l2'];
      if (spec.format) input.push('-input_format', V4L2_INPUT_FORMAT[spec.format]);
      if (spec.width && spec.height) input.push('-video_size', `${spec.width}x${spec.height}`);
      if (spec.fps) input.push('-framerate', String(spec.fps));
      input.push('-i', spec.device);
      if (spec.format === 'h264') return video([...FIRST_PACKET, ...input]);
      const passthrough = spec.format === 'mjpeg';
      return { args: jpegArgs(input, passthrough ? COPY : encode, [], jpegFraming), passthrough, output: 'jpeg' };
    }
    case 'rtsp': {
      if (copied && audio) return withAudio(video(rtspInput(spec.url, true, true), copied), audio, framing);
      if (copied) return video(rtspInput(spec.url, true), copied);
      const input = ['-fflags', 'nobuffer', '-flags', 'low_delay', ...rtspInput(spec.url, false)];
      return { args: jpegArgs(input, encode, [], jpegFraming), passthrough: false, output: 'jpeg' };
    }
    case 'http': {
      // The container is not known in advance: probed as usual, its packets kept (no nobuffer).
      const url = piped ? 'pipe:0' : spec.url;
      if (options.passthrough === 'auto' && copied) {
        // HTTP-FLV, MPEG-TS over HTTP…: the audio the probe found is copied as an RTSP camera's.
        const plan = video(['-i', url], copied);
        return audio ? withAudio(plan, audio, framing) : plan;
      }
      const input = ['-fflags', 'nobuffer', '-i', url];
      const passthrough =
        options.passthrough === 'auto'
          ? upstream
            ? upstream === 'mjpeg'
            : looksLikeMjpegUrl(spec.url)
          : options.passthrough;
      return { args: jpegArgs(input, passthrough ? COPY : encode), passthrough, output: 'jpeg' };
    }
    case 'file': {
      if (isMjpegFile(spec.path)) {
        // A raw stream of JPEGs has no timing of its own: pace it at fps (default 30).
        const input = ['-re', '-stream_loop', '-1', '-f', 'mjpeg', '-framerate', String(spec.fps ?? 30)];
        return {
          args: jpegArgs([...input, '-i', spec.path], COPY, [], jpegFraming),
          passthrough: true,
          output: 'jpeg',
        };
      }
      const input = ['-re', '-stream_loop', '-1', '-i', spec.path];
      // H.264 and H.265 at their own rate are copied; another rate needs decoding, and is encoded to JPEG.
      // Looped, they go out raw or in MPEG-TS with the muxer's own Annex B conversion: ffmpeg 5.1 flushes
      // an explicit -bsf at the first loop and then refuses every packet (output stops after one pass).
      if (copied && !spec.fps) {
        const plan: FfmpegPlan = { args: loopedNalArgs(input, copied, framing), passthrough: true, output: copied };
        // The file's audio on the video's times, which go on across loops.
        return audio ? withAudio(plan, audio, framing) : plan;
      }
      if (upstream === 'mjpeg' && !spec.fps) {
        return { args: jpegArgs(input, COPY, [], jpegFraming), passthrough: true, output: 'jpeg' };
      }
      const filters = spec.fps ? ['-vf', `fps=${spec.fps}`] : [];
      return { args: jpegArgs(input, encode, filters, jpegFraming), passthrough: false, output: 'jpeg' };
    }
  }
}

/**
 * A copied video's plan with the source's audio copied beside it: AAC and Opus in the video's MPEG-TS
 * (their timestamps with the video's: `-an` gives way to both streams mapped); G.711, which MPEG-TS cannot
 * carry, to pipe:3 in FLV, its times on the video's (the MPEG-TS then keeps the input's timestamps exactly,
 * no muxing offset added). Builds without the MPEG-TS output copy it to pipe:3 (audio-output.ts).
 */
function withAudio(plan: FfmpegPlan, audio: CapturedAudio, framing: NalFraming): FfmpegPlan {
  if (framing === 'mpegts' && (audio.codec === 'aac' || audio.codec === 'opus')) {
    const at = plan.args.indexOf('-an');
    const args = [...plan.args.slice(0, at), ...AUDIO_IN_TS, ...plan.args.slice(at + 1)];
    return { ...plan, args, audio: { ...audio, inTs: true } };
  }
  if (framing === 'mpegts') {
    const at = plan.args.lastIndexOf('-f');
    const args = [...plan.args.slice(0, at), ...TS_EXACT_TIMES, ...plan.args.slice(at)];
    const timed = { ...audio, flv: true };
    return { ...plan, args: [...args, ...audioOutput(timed)], audio: timed };
  }
  return { ...plan, args: [...plan.args, ...audioOutput(audio)], audio };
}

/** A looped file's H.264 or H.265, copied without bitstream filters: in MPEG-TS (its timestamps) or raw. */
function loopedNalArgs(input: string[], codec: NalCodec, framing: NalFraming): string[] {
  return [...HEAD, ...input, ...COPY, ...nalOutput(framing === 'mpegts' ? 'mpegts' : 'raw', codec)];
}
