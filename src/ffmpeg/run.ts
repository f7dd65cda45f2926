/**
 * An ffmpeg whose stdout becomes units: JPEGs in mpjpeg parts, or H.264 or H.265 access units
 * (output.ts says how each is framed), handed to a sink as SourceUnits; the child's end, with its
 * reason in words, ends the sink.
 */
import type { Logger } from 'pino';
import { readJpegSize } from '../codec/jpeg.js';
import { NalStream } from '../codec/nal-stream.js';
import type { NalCodec } from '../codec/video.js';
import type { SourceSink } from '../media/index.js';
import { jpegConfig } from '../media/jpeg.js';
import { audioOutputParser, type CapturedAudio } from './audio-output.js';
import { tsAudioParser } from './ts-audio.js';
import {
  jpegOutputParser,
  nalOutputParser,
  nalSourceUnit,
  type JpegFraming,
  type NalFraming,
  type PacketTime,
} from './output.js';
import { superviseFfmpeg, type FfmpegChild } from './process.js';

/**
 * An ffmpeg writing JPEGs on stdout in this framing (output.ts): each JPEG becomes a unit of the sink, with
 * its time in MPEG-TS. `stdin`: its input is written there.
 */
export function runFfmpegJpeg(
  binary: string,
  args: string[],
  sink: SourceSink,
  maxFrameBytes: number,
  stdin = false,
  framing: JpegFraming = 'mpjpeg',
): FfmpegChild {
  const onJpeg = (jpeg: Buffer, pts: number | undefined): void => {
    const size = readJpegSize(jpeg);
    if (!size) return;
    sink.unit({
      config: jpegConfig(size.width, size.height),
      keyframe: true,
      data: jpeg,
      ...(pts !== undefined ? { pts } : {}),
    });
  };
  const parser = jpegOutputParser(framing, maxFrameBytes, onJpeg);
  return superviseFfmpeg(binary, args, {
    stdin,
    onStdout: (chunk) => parser.push(chunk),
    onExit: (reason) => sink.ended(reason),
    onClose: () => parser.reset(),
  });
}

/**
 * An ffmpeg writing H.264 or H.265 on stdout, each packet (one access unit, Annex B) framed by the
 * mpjpeg muxer, or as a raw stream with builds whose mpjpeg takes MJPEG only: each access unit becomes
 * a unit of the sink as soon as it is known to be whole.
 */
export function runFfmpegNal(
  binary: string,
  args: string[],
  sink: SourceSink,
  options: {
    codec: NalCodec;
    maxAccessUnitBytes: number;
    log: Logger;
    label: string;
    framing?: NalFraming;
    /** Its input is written on its stdin. */
    stdin?: boolean;
    /** The camera's audio, copied to pipe:3 (audio-output.ts): its units go to the sink's `audio`. */
    audio?: CapturedAudio;
  },
): FfmpegChild {
  const time: PacketTime = {};
  const stream = new NalStream((unit) => sink.unit(nalSourceUnit(unit, time)), {
    codec: options.codec,
    maxAccessUnitBytes: options.maxAccessUnitBytes,
    log: options.log,
    label: options.label,
    // Only ever called from stream.push(), which runs once `run` is set.
    onFatal: (reason) => run.fail(reason),
  });
  let audioGone = false;
  const fatal = (reason: string): void => {
    // The sound is given up for this run; the pictures go on.
    audioGone = true;
    options.log.warn({ camera: options.label, reason }, 'camera audio given up until the capture restarts');
  };
  const inStream =
    options.audio?.inTs && sink.audio
      ? tsAudioParser((unit) => sink.audio!(unit), {
          log: options.log,
          label: options.label,
          channels: options.audio.channels,
          fatal,
        })
      : undefined;
  const audio =
    options.audio && !options.audio.inTs && sink.audio
      ? audioOutputParser(options.audio, (unit) => sink.audio!(unit), {
          log: options.log,
          label: options.label,
          fatal,
        })
      : undefined;
  const parser = nalOutputParser(stream, options.maxAccessUnitBytes, options.framing ?? 'mpjpeg', time, (unit) => {
    inStream?.push(unit);
  });
  const run = superviseFfmpeg(binary, args, {
    stdin: options.stdin ?? false,
    onStdout: (chunk) => parser.push(chunk),
    ...(options.audio && !options.audio.inTs
      ? {
          onPipe3: (chunk: Buffer) => {
            if (!audioGone) audio?.push(chunk);
          },
        }
      : {}),
    onExit: (reason) => sink.ended(reason),
    onClose: () => {
      parser.reset();
      stream.reset();
      audio?.reset();
    },
  });
  return run;
}
