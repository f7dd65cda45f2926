/**
 * Another bench file run as its own process (`node --import tsx bench/<file> args…`): what it costs (a
 * browser, a load generator) is not counted as the server's, and its crash ends its pass, not the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

export interface BenchChildResult {
  code: number | null;
  /** Its whole stdout (a JSON result or report lines). */
  out: string;
  /** Its stderr ('' when inherited). */
  err: string;
}

export interface BenchChild {
  child: ChildProcess;
  /** Resolves when it exits. */
  done: Promise<BenchChildResult>;
}

export interface BenchChildOptions {
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Its stderr on this one's (a load generator's progress), or kept for the failure's line (the default). */
  stderr?: 'inherit' | 'pipe';
}

/** Starts `bench/<file>` with `args`. */
export function startBenchFile(file: string, args: string[] = [], options: BenchChildOptions = {}): BenchChild {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', file), ...args], {
    stdio: ['ignore', 'pipe', options.stderr ?? 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<BenchChildResult>((resolve) => child.once('exit', (code) => resolve({ code, out, err })));
  return { child, done };
}

/** Runs `bench/<file>` to its end. */
export function runBenchFile(
  file: string,
  args: string[] = [],
  options: BenchChildOptions = {},
): Promise<BenchChildResult> {
  return startBenchFile(file, args, options).done;
}

/** The last line of a failed child's stderr, for the report's line. */
export function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

/** The first match of `pattern` in a child's stdout (a server's "listening 1234"); rejects if it exits first. */
export function waitForOutput(started: BenchChild, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    started.child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) resolve(m);
    });
    void started.done.then(({ code }) => reject(new Error(`a bench child exited with ${code} before ${pattern}`)));
  });
}
