/**
 * Helpers for the relay tests: camrelay as real child processes, a viewer
 * that timestamps every frame precisely, and a hand-driven publisher for the
 * misbehaving cases (built on the same pure protocol code as the edge).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { decodeHeader } from '../../src/outputs/ws/header.js';
import { encodeRelayFrame, parseHubMessage, RELAY_PROTOCOL, type AnnouncedCamera, type HubMessage } from '../../src/relay/protocol.js';
import { waitFor } from '../support/index.js';

export const BIN = join(import.meta.dirname, '../../bin/camrelay.js');
export const TOKEN_A = 'edge-a-token-0123456789abcdef';
export const TOKEN_B = 'edge-b-token-0123456789abcdef';

export const preciseNow = (): number => performance.timeOrigin + performance.now();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export type LogLine = Record<string, unknown> & { msg?: string };

/** A camrelay child process with its JSON log lines and stderr collected. */
export class Proc {
  readonly logs: LogLine[] = [];
  stderr = '';
  exitCode: number | null | undefined;
  readonly exited: Promise<number | null>;
  private partial = '';

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => {
      const lines = (this.partial + d.toString()).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line
        }
      }
    });
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  /** `camrelay ...args`, optionally inside a network namespace. */
  static start(args: string[], netns?: string): Proc {
    const command = netns ? 'ip' : process.execPath;
    const full = netns ? ['netns', 'exec', netns, process.execPath, BIN, ...args] : [BIN, ...args];
    return new Proc(spawn(command, full, { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  waitLog(match: (l: LogLine) => boolean, timeoutMs: number, what: string, from = 0): Promise<LogLine> {
    return waitFor(() => this.logs.slice(from).find(match), timeoutMs, `${what} (stderr: ${this.stderr.slice(-300)})`);
  }

  /** The port from the "camrelay: open http://host:PORT/" line. */
  async listeningPort(timeoutMs = 15_000): Promise<number> {
    const m = await waitFor(() => /open https?:\/\/[^ ]+:(\d+)\//.exec(this.stderr) ?? undefined, timeoutMs, `the listening line (stderr: ${this.stderr.slice(-300)})`);
    return Number(m[1]);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.exitCode === undefined) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 8000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface SeenFrame {
  seq: number;
  /** Receipt time, ms since the epoch with sub-ms precision. */
  at: number;
  bytes: number;
  /** sha1 of the JPEG: the same picture seen by two viewers has the same hash. */
  hash: string;
}

export type Text = { type: string } & Record<string, unknown>;

/** A viewer protocol v1 client that acks every frame on arrival and timestamps it. */
export class Viewer {
  readonly frames: SeenFrame[] = [];
  readonly texts: Text[] = [];
  closedWith: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('error', () => {}); // a close follows
    ws.on('close', (code, reason) => (this.closedWith = { code, reason: reason.toString() }));
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (!isBinary) {
        this.texts.push(JSON.parse(buf.toString()) as Text);
        return;
      }
      const at = preciseNow();
      const header = decodeHeader(buf);
      ws.send(JSON.stringify({ type: 'ack', seq: header.seq }));
      const jpeg = buf.subarray(header.headerLength);
      this.frames.push({ seq: header.seq, at, bytes: jpeg.length, hash: createHash('sha1').update(jpeg).digest('hex') });
    });
  }

  static open(httpUrl: string, camera: string): Promise<Viewer> {
    const ws = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}/api/cameras/${camera}/ws`);
    const viewer = new Viewer(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(viewer));
      ws.once('unexpected-response', (_req, res) => {
        ws.terminate();
        reject(new Error(`upgrade answered ${res.statusCode}`));
      });
      ws.once('error', reject);
    });
  }

  /** Opens as soon as the camera exists (a published camera appears when its edge announces). */
  static async openWhenReady(httpUrl: string, camera: string, timeoutMs: number): Promise<Viewer> {
    return waitFor(() => Viewer.open(httpUrl, camera).catch(() => undefined), timeoutMs, `camera ${camera} on ${httpUrl}`);
  }

  /** Frames received at or after `t`. */
  since(t: number): SeenFrame[] {
    return this.frames.filter((f) => f.at >= t);
  }

  waitText(match: (m: Text) => boolean, timeoutMs: number, what: string): Promise<Text> {
    return waitFor(() => this.texts.find(match), timeoutMs, what);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}

export interface PublisherInfo {
  name: string;
  connected: boolean;
  connections: number;
  bytesReceived: number;
  framesReceived: number;
  session: { bytesReceived: number; framesReceived: number } | null;
  cameras: { id: string; state: string; viewerCount: number; withdrawn: boolean }[];
}

export async function publisher(httpUrl: string, name: string): Promise<PublisherInfo> {
  const body = await getJson<{ publishers: PublisherInfo[] }>(`${httpUrl}/api/publishers`);
  const p = body.publishers.find((x) => x.name === name);
  if (!p) throw new Error(`no publisher ${name}`);
  return p;
}

/** A publisher driven by hand: says exactly what a test tells it to, well-formed or not. */
export class RawEdge {
  readonly received: HubMessage[] = [];
  closedWith: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('error', () => {});
    ws.on('close', (code, reason) => (this.closedWith = { code, reason: reason.toString() }));
    ws.on('message', (data) => {
      const parsed = parseHubMessage((data as Buffer).toString());
      if (parsed.ok) this.received.push(parsed.message);
    });
  }

  static open(httpUrl: string, token: string | undefined, edge?: string): Promise<RawEdge> {
    const url = `${httpUrl.replace(/^http/, 'ws')}/api/publish${edge ? `?edge=${edge}` : ''}`;
    const ws = new WebSocket(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, maxPayload: 1 << 20 });
    const raw = new RawEdge(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(raw));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          ws.terminate();
          reject(Object.assign(new Error(`upgrade answered ${res.statusCode}`), { status: res.statusCode, body }));
        });
      });
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  hello(edge: string, protocol = RELAY_PROTOCOL): void {
    this.send({ type: 'hello', protocol, role: 'edge', edge });
  }

  announce(cameras: Partial<AnnouncedCamera>[]): void {
    this.send({ type: 'announce', cameras });
  }

  frame(channel: number, seq: number, jpeg: Buffer): void {
    this.ws.send(encodeRelayFrame(channel, seq, preciseNow(), jpeg));
  }

  waitMessage(match: (m: HubMessage) => boolean, timeoutMs: number, what: string): Promise<HubMessage> {
    return waitFor(() => this.received.find(match), timeoutMs, what);
  }

  waitClosed(timeoutMs: number): Promise<{ code: number; reason: string }> {
    return waitFor(() => this.closedWith, timeoutMs, 'the publisher socket to close');
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
  }
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
}

export const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** Latency of each hub-side frame: its receipt minus the receipt of the same picture by a viewer at the edge. */
export function matchLatencies(atEdge: SeenFrame[], viaHub: SeenFrame[]): { at: number; latency: number }[] {
  const edgeAt = new Map(atEdge.map((f) => [f.hash, f.at]));
  const out: { at: number; latency: number }[] = [];
  for (const f of viaHub) {
    const t = edgeAt.get(f.hash);
    if (t !== undefined) out.push({ at: f.at, latency: f.at - t });
  }
  return out;
}
