/**
 * One supervised ffmpeg child: spawns it, hands its stdout to a parser (the
 * mpjpeg parser for JPEG, the access-unit stream for H.264 and H.265), keeps the
 * last lines of stderr to explain a failure, and kills it (TERM, then KILL) on
 * stop. A transcoder also writes its input to the child's stdin. Every live
 * child is tracked so that the process can end them all on exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { jpegConfig } from '../../media/jpeg.js';
import { readJpegSize } from '../framing/jpeg.js';
import { MpjpegParser } from '../framing/mpjpeg-parser.js';
import type { SourceSink } from '../source.js';
import { MPJPEG_BOUNDARY } from './args.js';
import { exitReason, isNoise } from './exit-reason.js';
import type { H264Framing } from './framing.js';
import type { NalCodec } from '../../codec/video.js';
import { VideoStream } from './video-stream.js';

const STDERR_LINES = 12;
const KILL_AFTER_MS = 2000;

const live = new Set<ChildProcess>();

/** Kills every ffmpeg child still running; for the process's last moments. */
export function killAllFfmpeg(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

process.once('exit', killAllFfmpeg);

export interface FfmpegRun {
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export interface FfmpegChild extends FfmpegRun {
  /** The child's stdin, when it was asked for (`stdin: true`); errors on it are swallowed (the exit explains). */
  readonly stdin: Writable | undefined;
  /** Ends the child from the inside (a parser gave up on its output): stop(), then onExit(reason). */
  fail(reason: string): void;
}

export interface FfmpegChildOptions {
  /** A pipe on stdin for the caller to write (a transcoder's input); else stdin is closed. */
  stdin?: boolean;
  onStdout(chunk: Buffer): void;
  /** Once, when the child ended by itself (not through stop()), with the reason in words. */
  onExit(reason: string): void;
  /** Once, after the child is gone, however it ended (parsers drop partial data here). */
  onClose?(): void;
}

/** Spawns and supervises one ffmpeg. */
export function superviseFfmpeg(binary: string, args: string[], options: FfmpegChildOptions): FfmpegChild {
  const child = spawn(binary, args, { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  live.add(child);
  const stderrTail: string[] = [];
  let stopping = false;
  let failure: string | undefined;
  let partialLine = '';

  child.stdin?.on('error', () => {}); // EPIPE when the child is gone: its exit says why
  child.stdout!.on('data', (chunk: Buffer) => {
    if (!stopping) options.onStdout(chunk);
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    const lines = (partialLine + text).split(/\r?\n/);
    partialLine = lines.pop() ?? '';
    if (partialLine.length > 4096) partialLine = partialLine.slice(0, 4096);
    for (const line of lines) {
      // Known noise (a warning repeated every frame) must not push the line that explains an end out of the tail.
      if (isNoise(line)) continue;
      stderrTail.push(line.slice(0, 500));
      if (stderrTail.length > STDERR_LINES) stderrTail.shift();
    }
  });

  const exited = new Promise<void>((resolve) => {
    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
      // 'close' does not always follow a failed spawn.
      if (child.pid === undefined) finish(null, null);
    });
    child.once('close', (code, signal) => finish(code, signal));
    let done = false;
    function finish(code: number | null, signal: NodeJS.Signals | null): void {
      if (done) return;
      done = true;
      live.delete(child);
      options.onClose?.();
      resolve();
      if (failure !== undefined) {
        options.onExit(failure);
        return;
      }
      if (stopping) return;
      const stderr = partialLine ? [...stderrTail, partialLine.slice(0, 500)] : stderrTail;
      options.onExit(exitReason({ code, signal, ...(spawnError ? { spawnError } : {}), stderr }));
    }
  });

  async function stop(): Promise<void> {
    if (stopping) return exited;
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin?.destroy();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      await exited;
      clearTimeout(timer);
    }
    return exited;
  }

  return {
    pid: child.pid,
    stdin: child.stdin ?? undefined,
    stop,
    fail(reason: string) {
      if (stopping) return;
      failure = reason;
      void stop();
    },
  };
}

/** An ffmpeg writing `-f mpjpeg` on stdout: each JPEG becomes a unit of the sink. */
export function runFfmpeg(binary: string, args: string[], sink: SourceSink, maxFrameBytes: number): FfmpegRun {
  const onJpeg = (jpeg: Buffer): void => {
    const size = readJpegSize(jpeg);
    if (size) sink.unit({ config: jpegConfig(size.width, size.height), keyframe: true, data: jpeg });
  };
  const parser = new MpjpegParser(onJpeg, { boundary: MPJPEG_BOUNDARY, maxFrameBytes });
  return superviseFfmpeg(binary, args, {
    onStdout: (chunk) => parser.push(chunk),
    onExit: (reason) => sink.ended(reason),
    onClose: () => parser.reset(),
  });
}

/**
 * An ffmpeg writing H.264 or H.265 on stdout, each packet (one access unit, Annex B) framed by the
 * mpjpeg muxer (`-f mpjpeg`), or as a raw stream with builds whose mpjpeg takes MJPEG only (framing.ts):
 * each access unit becomes a unit of the sink as soon as it is known to be whole.
 */
export function runFfmpegVideo(
  binary: string,
  args: string[],
  sink: SourceSink,
  options: { codec: NalCodec; maxAccessUnitBytes: number; log: Logger; label: string; framing?: H264Framing },
): FfmpegRun {
  const stream = new VideoStream((unit) => sink.unit(unit), {
    codec: options.codec,
    maxAccessUnitBytes: options.maxAccessUnitBytes,
    log: options.log,
    label: options.label,
    // Only ever called from stream.push(), which runs once `run` is set.
    onFatal: (reason) => run.fail(reason),
  });
  const parser = h264Parser(stream, options.maxAccessUnitBytes, options.framing ?? 'mpjpeg');
  const run = superviseFfmpeg(binary, args, {
    onStdout: (chunk) => parser.push(chunk),
    onExit: (reason) => sink.ended(reason),
    onClose: () => {
      parser.reset();
      stream.reset();
    },
  });
  return run;
}

/** The parser of H.264 or H.265 on stdout in this framing: packets in mpjpeg parts, or a raw Annex B stream. */
export function h264Parser(stream: VideoStream, maxPacketBytes: number, framing: H264Framing): ChunkParser {
  if (framing === 'mpjpeg') return h264PacketParser(stream, maxPacketBytes);
  return { push: (chunk) => stream.push(chunk), reset: () => stream.reset() };
}

/**
 * Splits `-f mpjpeg` output whose parts are H.264 or H.265 packets, into the stream. A part the parser
 * rejects (over the size bound) was a picture: the stream skips to the next keyframe.
 */
export function h264PacketParser(stream: VideoStream, maxPacketBytes: number): ChunkParser {
  const parser = new MpjpegParser((packet) => stream.pushPacket(packet), {
    boundary: MPJPEG_BOUNDARY,
    maxFrameBytes: maxPacketBytes,
    check: (body) => (body.length > 0 ? body : undefined),
  });
  let rejected = 0;
  return {
    push(chunk) {
      parser.push(chunk);
      if (parser.counters.rejected !== rejected) {
        rejected = parser.counters.rejected;
        stream.gap(`packet over ${maxPacketBytes} bytes dropped`);
      }
    },
    reset: () => parser.reset(),
  };
}

export interface ChunkParser {
  push(chunk: Buffer): void;
  reset(): void;
}
