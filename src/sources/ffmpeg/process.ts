/**
 * One supervised ffmpeg child: spawns it, feeds its stdout to the mpjpeg
 * parser, keeps the last lines of stderr to explain a failure, and kills it
 * (TERM, then KILL) on stop. Every live child is tracked so that the process
 * can end them all on exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { MpjpegParser } from '../framing/mpjpeg-parser.js';
import type { SourceSink } from '../source.js';
import { MPJPEG_BOUNDARY } from './args.js';
import { exitReason, isNoise } from './exit-reason.js';

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

export function runFfmpeg(binary: string, args: string[], sink: SourceSink, maxFrameBytes: number): FfmpegRun {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const stderrTail: string[] = [];
  let stopping = false;
  let partialLine = '';

  const parser = new MpjpegParser((jpeg) => sink.frame(jpeg), { boundary: MPJPEG_BOUNDARY, maxFrameBytes });
  child.stdout!.on('data', (chunk: Buffer) => parser.push(chunk));
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    const lines = (partialLine + text).split(/\r?\n/);
    partialLine = lines.pop() ?? '';
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
      parser.reset();
      resolve();
      if (stopping) return;
      const stderr = partialLine ? [...stderrTail, partialLine.slice(0, 500)] : stderrTail;
      sink.ended(exitReason({ code, signal, ...(spawnError ? { spawnError } : {}), stderr }));
    }
  });

  return {
    pid: child.pid,
    async stop() {
      if (stopping) return exited;
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}
