/**
 * Helpers for the security tests: config files, the CLI as a child process,
 * raw HTTP over net sockets (paths and headers exactly as written), HTTP(S)
 * requests from a chosen local address, and WebSocket viewers.
 */
import type { ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { stringify } from 'yaml';
import { startCamrelay } from '../support/process.js';

// Shared with the other process tests (test/support/), under the names these tests use.
export { BIN } from '../support/paths.js';
export { freePort, portOf } from '../support/ports.js';
export { runCamrelay as runCli } from '../support/process.js';
/** A protocol v1 viewer that acks every frame and checks each one's header and JPEG. */
export { V1Client as Viewer } from '../support/v1-client.js';
export { upgrade, upgradeStatus, type Upgrade } from '../support/upgrade.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `camrelay-${prefix}-`));
}

/** Writes `config` as YAML into `dir` and returns the file's path. */
export function writeConfig(dir: string, name: string, config: object): string {
  const path = join(dir, name);
  writeFileSync(path, stringify(config));
  return path;
}

export interface CliServer {
  child: ChildProcessByStdio<null, Readable, Readable>;
  pid: number;
  /** From the listening line, e.g. `http://127.0.0.1:41234/` (https:// under TLS). */
  url: string;
  port: number;
  stdout(): string;
  stderr(): string;
  /** The exit code once it has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it is still there after 5 s. */
  stop(): Promise<number | null>;
}

/** Runs `camrelay serve ARGS` and waits for its listening line on stderr; rejects if it exits first. */
export async function startCli(
  args: string[],
  { timeoutMs = 20_000, nodeArgs = [] }: { timeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<CliServer> {
  const { proc, url } = await startCamrelay(['serve', ...args], { timeoutMs, nodeArgs });
  return {
    child: proc.child,
    pid: proc.pid,
    url,
    port: Number(new URL(url).port),
    stdout: () => proc.stdout,
    stderr: () => proc.stderr,
    exited: proc.exited,
    stop: () => proc.stop('SIGTERM', 5000),
  };
}

/** VmRSS of a process, in bytes. */
export function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Connect from this local address (127.0.0.2 and so on: Linux accepts any 127/8 source). */
  localAddress?: string;
  /** CA for HTTPS. */
  ca?: string | Buffer;
  /** Resolve with the head only and close (for streams that never end). */
  headOnly?: boolean;
  timeoutMs?: number;
}

/** One HTTP or HTTPS request with node:http, no connection reuse. */
export function request(url: string, options: RequestOptions = {}): Promise<Response> {
  const { method = 'GET', headers = {}, body, localAddress, ca, headOnly = false, timeoutMs = 10_000 } = options;
  const make = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(url, { method, headers, localAddress, agent: false, ...(ca ? { ca } : {}) }, (res) => {
      if (headOnly) {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0), text: '' });
        res.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const all = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: all, text: all.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end(body);
  });
}

export interface RawResult {
  /** 0 when no status line came. */
  status: number;
  /** Everything received. */
  data: Buffer;
  text: string;
  /** The connection was closed (by either side) before the timeout. */
  closed: boolean;
}

/**
 * Sends bytes exactly as given over a new TCP connection and collects what
 * comes back until the server closes or `timeoutMs` passes.
 */
export function rawHttp(
  port: number,
  data: string | Buffer,
  { timeoutMs = 3000, localAddress }: { timeoutMs?: number; localAddress?: string } = {},
): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const all = Buffer.concat(chunks);
      const text = all.toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), data: all, text, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(data);
  });
}

/** `name=value` of a Set-Cookie header, and its attributes in lower case. */
export function parseSetCookie(
  header: string | string[] | undefined,
  name: string,
): { value: string; attributes: string[] } | undefined {
  const all = Array.isArray(header) ? header : header ? [header] : [];
  for (const line of all) {
    const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq) === name)
      return { value: pair.slice(eq + 1), attributes: attributes.map((a) => a.toLowerCase()) };
  }
  return undefined;
}
