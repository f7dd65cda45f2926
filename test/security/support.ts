/**
 * Helpers for the security tests: config files, the CLI as a child process,
 * raw HTTP over net sockets (paths and headers exactly as written), HTTP(S)
 * requests from a chosen local address, and WebSocket viewers.
 */
import { spawn, spawnSync, type ChildProcessByStdio, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { stringify } from 'yaml';
import { WebSocket, type ClientOptions } from 'ws';
import { decodeHeader } from '../../src/outputs/ws/header.js';
import { waitFor } from '../support/index.js';

export const BIN = join(import.meta.dirname, '../../bin/camrelay.js');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `camrelay-${prefix}-`));
}

/** Writes `config` as YAML into `dir` and returns the file's path. */
export function writeConfig(dir: string, name: string, config: object): string {
  const path = join(dir, name);
  writeFileSync(path, stringify(config));
  return path;
}

/** `camrelay ARGS`, run to its end. */
export function runCli(args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000, input });
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
export async function startCli(args: string[], { timeoutMs = 20_000, nodeArgs = [] }: { timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<CliServer> {
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  const stop = async (): Promise<number | null> => {
    if (exitCode !== undefined) return exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    const url = await waitFor(
      () => {
        if (exitCode !== undefined) throw new Error(`camrelay exited with ${exitCode} before listening:\n${err}`);
        return /open (https?:\/\/\S+\/) /.exec(err)?.[1];
      },
      timeoutMs,
      'the listening line',
    );
    return { child, pid: child.pid!, url, port: Number(new URL(url).port), stdout: () => out, stderr: () => err, exited, stop };
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address !== 'object') throw new Error('no address');
  return address.port;
}

export function portOf(url: string): number {
  return Number(new URL(url).port);
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
export function rawHttp(port: number, data: string | Buffer, { timeoutMs = 3000, localAddress }: { timeoutMs?: number; localAddress?: string } = {}): Promise<RawResult> {
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

export type Upgrade = { ok: true; ws: WebSocket } | { ok: false; status: number; body: string };

/** Attempts a WebSocket upgrade; resolves with the open socket or with the HTTP answer that refused it. */
export function upgrade(url: string, options: ClientOptions = {}): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    let settled = false;
    const settle = (result: Upgrade): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    ws.once('open', () => settle({ ok: true, ws }));
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      const done = (): void => {
        settle({ ok: false, status: res.statusCode ?? 0, body });
        req.destroy();
      };
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    ws.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
  });
}

/** The status of an upgrade attempt: 101 when it opened (the socket is closed again at once). */
export async function upgradeStatus(url: string, options: ClientOptions = {}): Promise<number> {
  const result = await upgrade(url, options);
  if (!result.ok) return result.status;
  result.ws.close();
  return 101;
}

/** A protocol v1 viewer that acks every frame and checks each one's header and JPEG. */
export class Viewer {
  frames = 0;
  /** Messages that were not a v1 header followed by a JPEG. */
  bad = 0;
  closed: { code: number; reason: string } | undefined;

  constructor(readonly ws: WebSocket) {
    ws.on('error', () => {});
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      try {
        const header = decodeHeader(buf);
        const jpeg = buf.subarray(header.headerLength);
        if (header.version !== 1 || header.headerLength !== 16 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) this.bad++;
        else this.frames++;
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ack', seq: header.seq }));
      } catch {
        this.bad++;
      }
    });
  }

  static async open(url: string, options: ClientOptions = {}): Promise<Viewer> {
    const result = await upgrade(url, options);
    if (!result.ok) throw new Error(`upgrade to ${url} answered ${result.status}: ${result.body}`);
    return new Viewer(result.ws);
  }

  async waitFrames(count: number, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => this.frames >= count, timeoutMs, `${count} frames (got ${this.frames})`);
  }

  /** Frames received over `ms`. */
  async framesDuring(ms: number): Promise<number> {
    const before = this.frames;
    await new Promise((r) => setTimeout(r, ms));
    return this.frames - before;
  }

  close(): void {
    this.ws.close(1000);
  }
}

/** `name=value` of a Set-Cookie header, and its attributes in lower case. */
export function parseSetCookie(header: string | string[] | undefined, name: string): { value: string; attributes: string[] } | undefined {
  const all = Array.isArray(header) ? header : header ? [header] : [];
  for (const line of all) {
    const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq) === name) return { value: pair.slice(eq + 1), attributes: attributes.map((a) => a.toLowerCase()) };
  }
  return undefined;
}
