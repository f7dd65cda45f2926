/**
 * Helpers for the relay tests: publisher tokens, the hub's publisher API, a hand-driven publisher
 * for the misbehaving cases (built on the same pure protocol code as the edge), and latency
 * statistics. camrelay as a child process and the viewer are in test/support/.
 */
import { WebSocket } from 'ws';
import { RELAY_PROTOCOL, type RelayCodec } from '../../src/relay/protocol.js';
import { parseHubMessage, type AnnouncedCamera, type HubMessage } from '../../src/relay/messages.js';
import { encodeRelayFrame } from '../../src/relay/frames.js';
import { loadConfig } from '../../src/config/load.js';
import type { CameraRegistry } from '../../src/hub/registry.js';
import { EdgePublisher, nominalFps } from '../../src/relay/index.js';
import { createRegistry } from '../../src/server/cameras.js';
import { quietLogger, waitFor } from '../support/index.js';
import { preciseNow, type V1Frame } from '../support/v1-client.js';

export const TOKEN_A = 'edge-a-token-0123456789abcdef';
export const TOKEN_B = 'edge-b-token-0123456789abcdef';

/** What the latency matching needs of a frame (a V1Frame from test/support/v1-client.ts has it). */
export type SeenFrame = Pick<V1Frame, 'seq' | 'at' | 'bytes' | 'hash'>;

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
  codecs: RelayCodec[] | null;
  audio: string[] | null;
  events: string[] | null;
  clockOffsetMs: number | null;
  clockRttMs: number | null;
  cameras: {
    id: string;
    state: string;
    viewerCount: number;
    withdrawn: boolean;
    codec: RelayCodec | null;
    bitrate: number;
    bytesReceived: number;
    framesReceived: number;
  }[];
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

  /** Without `codecs`: the hello of an edge that predates H.264 uplinks. */
  hello(edge: string, protocol = RELAY_PROTOCOL, codecs?: RelayCodec[]): void {
    this.send({ type: 'hello', protocol, role: 'edge', edge, ...(codecs ? { codecs } : {}) });
  }

  announce(cameras: Partial<AnnouncedCamera>[]): void {
    this.send({ type: 'announce', cameras });
  }

  frame(channel: number, seq: number, payload: Uint8Array, codec: RelayCodec = 'jpeg', keyframe = true): void {
    this.ws.send(encodeRelayFrame(channel, seq, preciseNow(), payload, codec, keyframe));
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

/**
 * An edge in this process, started as `camrelay publish` starts one: its camera (a --camera source, id
 * `cam`) published to `hub` (ws://…) as `name` with TOKEN_A. `nominalFps`: paced at the camera's
 * nominal rate, as the command does. The caller closes the edge, then the registry.
 */
export async function startEdge(
  camera: string,
  hub: string,
  name: string,
  options: { nominalFps?: boolean } = {},
): Promise<{ registry: CameraRegistry; edge: EdgePublisher }> {
  const cfg = await loadConfig({ cameras: [`cam=${camera}`], publishTo: hub, name, token: TOKEN_A });
  const registry = createRegistry(cfg.cameras, quietLogger());
  const edge = new EdgePublisher(
    registry,
    cfg.publish!,
    quietLogger(),
    options.nominalFps ? { fps: nominalFps(cfg.cameras) } : undefined,
  );
  edge.start();
  return { registry, edge };
}
