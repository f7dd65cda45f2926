/**
 * One supervised ffmpeg child: spawns it, hands its stdout to the caller (run.ts: the
 * mpjpeg parser for JPEG, the access-unit stream for H.264 and H.265), keeps the
 * last lines of stderr to explain a failure, and kills it (TERM, then KILL) on
 * stop. A transcoder also writes its input to the child's stdin. Every live
 * child is tracked so that the process can end them all on exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
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
  /** A second output on file descriptor 3 (`pipe:3`: a capture's audio), handed over as it comes. */
  onPipe3?(chunk: Buffer): void;
  /** Once, when the child ended by itself (not through stop()), with the reason in words. */
  onExit(reason: string): void;
  /** Once, after the child is gone, however it ended (parsers drop partial data here). */
  onClose?(): void;
}

/** Spawns and supervises one ffmpeg. */
export function superviseFfmpeg(binary: string, args: string[], options: FfmpegChildOptions): FfmpegChild {
  const stdin = options.stdin ? 'pipe' : 'ignore';
  const child = spawn(binary, args, {
    stdio: options.onPipe3 ? [stdin, 'pipe', 'pipe', 'pipe'] : [stdin, 'pipe', 'pipe'],
  });
  live.add(child);
  const stderrTail: string[] = [];
  let stopping = false;
  let failure: string | undefined;
  let partialLine = '';

  child.stdin?.on('error', () => {}); // EPIPE when the child is gone: its exit says why
  child.stdout!.on('data', (chunk: Buffer) => {
    if (!stopping) options.onStdout(chunk);
  });
  const pipe3 = options.onPipe3 ? (child.stdio[3] as Readable | null) : null;
  pipe3?.on('data', (chunk: Buffer) => {
    if (!stopping) options.onPipe3!(chunk);
  });
  pipe3?.on('error', () => {}); // the child's exit says why
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
