/**
 * camrelay as a real child process (bin/camrelay.js): run a command to its end, or start a
 * server, wait for its listening line, read its JSON log lines, and stop it.
 */
import { spawn, spawnSync, type ChildProcessByStdio, type SpawnSyncReturns } from 'node:child_process';
import type { Readable } from 'node:stream';
import { waitFor } from './wait.js';
import { BIN } from './paths.js';

/** `camrelay ARGS`, run to its end (`timeoutMs` at most), with `input` on its stdin. */
export function runCamrelay(args: string[], input?: string, timeoutMs = 20_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: timeoutMs, input });
}

export type LogLine = Record<string, unknown> & { msg?: string };

export interface SpawnOptions {
  /** Run it inside this network namespace (`ip netns exec NS ...`; needs root). */
  netns?: string;
  /** Options for node itself, before the script (e.g. `--max-old-space-size=64`). */
  nodeArgs?: string[];
}

/** A camrelay child process: its stdout (and the JSON log lines in it) and stderr collected. */
export class CamrelayProcess {
  /** stdout's lines that parsed as JSON: pino's log lines. */
  readonly logs: LogLine[] = [];
  stdout = '';
  stderr = '';
  /** undefined while it runs; its exit code (null when killed by a signal) once it has exited. */
  exitCode: number | null | undefined;
  readonly exited: Promise<number | null>;
  private partial = '';

  constructor(readonly child: ChildProcessByStdio<null, Readable, Readable>) {
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      this.stdout += text;
      const lines = (this.partial + text).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  /** Starts `camrelay ...args` (it does not wait for anything: see waitListening). */
  static spawn(args: string[], { netns, nodeArgs = [] }: SpawnOptions = {}): CamrelayProcess {
    const node = [...nodeArgs, BIN, ...args];
    const child = netns
      ? spawn('ip', ['netns', 'exec', netns, process.execPath, ...node], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, node, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new CamrelayProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The first log line from index `from` on that `match`es. */
  waitLog(match: (l: LogLine) => boolean, timeoutMs: number, what: string, from = 0): Promise<LogLine> {
    return waitFor(() => this.logs.slice(from).find(match), timeoutMs, `${what} (stderr: ${this.stderr.slice(-300)})`);
  }

  /**
   * The URL of the "camrelay: open http://host:PORT/ ..." line on stderr (https:// under TLS),
   * e.g. `http://127.0.0.1:41234/`. Rejects at once if the process exits first.
   */
  waitListening(timeoutMs = 20_000): Promise<string> {
    return waitFor(
      () => {
        if (this.exitCode !== undefined) {
          throw new Error(`camrelay exited with ${this.exitCode} before listening:\n${this.stderr}`);
        }
        return /open (https?:\/\/\S+\/)/.exec(this.stderr)?.[1];
      },
      timeoutMs,
      `the listening line (stderr: ${this.stderr.slice(-300)})`,
    );
  }

  /** `signal` (SIGTERM), then SIGKILL if it is still there after `killAfterMs`; its exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 8000): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), killAfterMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Starts `camrelay ...args` and waits until it listens; kills it if it does not. */
export async function startCamrelay(
  args: string[],
  options: SpawnOptions & { timeoutMs?: number } = {},
): Promise<{ proc: CamrelayProcess; url: string }> {
  const proc = CamrelayProcess.spawn(args, options);
  try {
    return { proc, url: await proc.waitListening(options.timeoutMs) };
  } catch (err) {
    proc.child.kill('SIGKILL');
    throw err;
  }
}
