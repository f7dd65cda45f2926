/** A test viewer over the real `ws` client: records everything the server sends. */
import { WebSocket } from 'ws';
import { decodeHeader, framePayload, type FrameHeader } from '../../../src/outputs/ws/header.js';
import { waitFor } from '../../support/index.js';

export interface ReceivedFrame extends FrameHeader {
  /** The JPEG after the header. */
  jpeg: Buffer;
  /** Receive time, Date.now(). */
  at: number;
}

export type TextMessage = { type: string } & Record<string, unknown>;

export interface Closed {
  code: number;
  reason: string;
}

export function wsUrl(httpUrl: string, camera: string, query = ''): string {
  return `${httpUrl.replace(/^http/, 'ws')}/api/cameras/${camera}/ws${query}`;
}

export class TestViewer {
  readonly frames: ReceivedFrame[] = [];
  readonly texts: TextMessage[] = [];
  readonly closed: Promise<Closed>;
  closedWith: Closed | undefined;
  /** Ack every frame as soon as it arrives. */
  autoAck: boolean;

  private constructor(
    readonly ws: WebSocket,
    autoAck: boolean,
  ) {
    this.autoAck = autoAck;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closedWith = { code, reason: reason.toString() };
        resolve(this.closedWith);
      });
    });
    ws.on('error', () => {}); // a close follows; tests look at the close code
    ws.on('message', (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      if (!isBinary) {
        this.texts.push(JSON.parse(buf.toString()) as TextMessage);
        return;
      }
      const header = decodeHeader(buf);
      this.frames.push({ ...header, jpeg: Buffer.from(framePayload(buf)), at: Date.now() });
      if (this.autoAck) this.send({ type: 'ack', seq: header.seq });
    });
  }

  static open(url: string, { autoAck = false } = {}): Promise<TestViewer> {
    const ws = new WebSocket(url);
    const viewer = new TestViewer(ws, autoAck);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(viewer));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  ackLast(): number {
    const last = this.lastFrame();
    this.send({ type: 'ack', seq: last.seq });
    return last.seq;
  }

  lastFrame(): ReceivedFrame {
    const last = this.frames.at(-1);
    if (!last) throw new Error('no frame received yet');
    return last;
  }

  async waitFrames(count: number, timeoutMs = 10_000): Promise<ReceivedFrame[]> {
    await waitFor(() => this.frames.length >= count, timeoutMs, `${count} frames`);
    return this.frames;
  }

  /** The first text message of `type` matching `match`, among those from index `from` on. */
  async waitText(type: string, timeoutMs = 5000, match: (m: TextMessage) => boolean = () => true, from = 0): Promise<TextMessage> {
    return waitFor(() => this.texts.slice(from).find((m) => m.type === type && match(m)), timeoutMs, `a "${type}" message`);
  }

  async waitClosed(timeoutMs = 5000): Promise<Closed> {
    return waitFor(() => this.closedWith, timeoutMs, 'the socket to close');
  }

  close(): void {
    this.ws.close(1000);
  }
}

/** Attempts an upgrade that should fail; returns the HTTP status and the JSON body. */
export function rejectedUpgrade(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('error', () => {});
    ws.once('open', () => {
      ws.close();
      reject(new Error(`upgrade to ${url} was accepted`));
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as Record<string, unknown> }));
    });
  });
}

/** Frames per second received over a period, counted from what arrives during it. */
export async function framesDuring(viewer: TestViewer, ms: number): Promise<number> {
  const before = viewer.frames.length;
  await new Promise((r) => setTimeout(r, ms));
  return viewer.frames.length - before;
}
