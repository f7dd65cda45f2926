/**
 * A protocol v1 viewer (docs/protocol.md) over the real `ws` client, for every test that watches
 * a camera over WebSocket: it records each text message and each frame (header, JPEG, receipt
 * time with sub-millisecond precision, sha1 of the picture), checks that every binary message is
 * a v1 header followed by a JPEG, and acks each frame on arrival unless told not to.
 */
import { createHash } from 'node:crypto';
import { WebSocket, type ClientOptions } from 'ws';
import { decodeHeader, type FrameHeader } from '../../src/wire/header.js';
import { waitFor } from './wait.js';

export interface V1Frame extends FrameHeader {
  /** The JPEG after the header (empty with keepJpegs: false). */
  jpeg: Buffer;
  /** Its size in bytes. */
  bytes: number;
  /** sha1 of the JPEG: the same picture seen by two viewers has the same hash. */
  hash: string;
  /** Receipt time in ms since the epoch, with sub-millisecond precision. */
  at: number;
}

export type TextMessage = { type: string } & Record<string, unknown>;

export interface Closed {
  code: number;
  reason: string;
}

export interface V1Options extends ClientOptions {
  /** Ack every frame as soon as it arrives (default true); false leaves acks to the test. */
  autoAck?: boolean;
  /** Keep each frame's JPEG (default true); false keeps its size and hash only, for long watches. */
  keepJpegs?: boolean;
}

/** Receipt time: ms since the epoch with sub-ms precision, on the same clock as the server's frames. */
export const preciseNow = (): number => performance.timeOrigin + performance.now();

/** The WebSocket URL of a camera's live video on the server at `httpUrl` (http:// or https://). */
export function wsUrl(httpUrl: string, camera: string, query = ''): string {
  return `${httpUrl.replace(/^http/, 'ws').replace(/\/$/, '')}/api/cameras/${camera}/ws${query}`;
}

export class V1Client {
  readonly frames: V1Frame[] = [];
  readonly texts: TextMessage[] = [];
  /** Resolves when the socket closes. */
  readonly closed: Promise<Closed>;
  /** How it closed, once it has. */
  closedWith: Closed | undefined;
  /** Binary messages that were not a v1 header (version 1, 16 bytes) followed by a JPEG. */
  bad = 0;
  autoAck: boolean;

  /** Wraps an open socket (see open() to connect). */
  constructor(
    readonly ws: WebSocket,
    { autoAck = true, keepJpegs = true }: Pick<V1Options, 'autoAck' | 'keepJpegs'> = {},
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
      const at = preciseNow();
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      if (!isBinary) {
        this.texts.push(JSON.parse(buf.toString()) as TextMessage);
        return;
      }
      let header: FrameHeader;
      try {
        header = decodeHeader(buf);
      } catch {
        this.bad++;
        return;
      }
      const jpeg = buf.subarray(header.headerLength);
      if (header.version !== 1 || header.headerLength !== 16 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) this.bad++;
      const hash = createHash('sha1').update(jpeg).digest('hex');
      const kept = keepJpegs ? Buffer.from(jpeg) : Buffer.alloc(0);
      this.frames.push({ ...header, jpeg: kept, bytes: jpeg.length, hash, at });
      if (this.autoAck) this.send({ type: 'ack', seq: header.seq });
    });
  }

  /** Connects; rejects with the status and body when the server refuses the upgrade. */
  static open(url: string, { autoAck = true, keepJpegs = true, ...options }: V1Options = {}): Promise<V1Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new V1Client(ws, { autoAck, keepJpegs });
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          req.destroy();
          reject(new Error(`upgrade to ${url} answered ${res.statusCode}: ${body}`));
        });
      });
      ws.once('error', reject);
    });
  }

  /** Opens as soon as the camera exists (a published camera appears when its edge announces). */
  static openWhenReady(url: string, timeoutMs: number, options: V1Options = {}): Promise<V1Client> {
    return waitFor(() => V1Client.open(url, options).catch(() => undefined), timeoutMs, `the camera at ${url}`);
  }

  send(message: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  /** Acks the last frame received; returns its seq. */
  ackLast(): number {
    const last = this.lastFrame();
    this.send({ type: 'ack', seq: last.seq });
    return last.seq;
  }

  lastFrame(): V1Frame {
    const last = this.frames.at(-1);
    if (!last) throw new Error('no frame received yet');
    return last;
  }

  async waitFrames(count: number, timeoutMs = 10_000): Promise<V1Frame[]> {
    await waitFor(() => this.frames.length >= count, timeoutMs, `${count} frames (got ${this.frames.length})`);
    return this.frames;
  }

  /** The first text message of `type` matching `match`, among those from index `from` on. */
  waitText(
    type: string,
    timeoutMs = 5000,
    match: (m: TextMessage) => boolean = () => true,
    from = 0,
  ): Promise<TextMessage> {
    const found = () => this.texts.slice(from).find((m) => m.type === type && match(m));
    return waitFor(found, timeoutMs, `a "${type}" message`);
  }

  async waitClosed(timeoutMs = 5000): Promise<Closed> {
    return waitFor(() => this.closedWith, timeoutMs, 'the socket to close');
  }

  /** Frames received at or after `t` (ms since the epoch). */
  since(t: number): V1Frame[] {
    return this.frames.filter((f) => f.at >= t);
  }

  /** Frames received over the next `ms`. */
  async framesDuring(ms: number): Promise<number> {
    const before = this.frames.length;
    await new Promise((r) => setTimeout(r, ms));
    return this.frames.length - before;
  }

  /**
   * Waits until `count` more frames have arrived and returns how many frames the camera made
   * meanwhile, from the sequence numbers (the camera's own frame counter): received / made is
   * the share of the camera's frames this viewer got, however fast the machine is.
   */
  async framesMadeWhileReceiving(count: number, timeoutMs = 20_000): Promise<{ received: number; made: number }> {
    const from = this.frames.length;
    await this.waitFrames(from + count, timeoutMs);
    const window = this.frames.slice(from, from + count);
    return { received: window.length, made: window.at(-1)!.seq - window[0]!.seq + 1 };
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }
}
