/**
 * A small RTSP client for tests and benches, over a real socket: requests and their responses, and the
 * interleaved frames (RTP, RTCP) that come between them. It never decodes anything: the third-party
 * clients (ffmpeg, GStreamer, mpv) do that; this one checks bytes and statuses.
 */
import { connect, type Socket } from 'node:net';

export interface RtspResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

export interface InterleavedFrame {
  channel: number;
  data: Buffer;
  /** performance.now() when it was read. */
  at: number;
}

export class RtspTestClient {
  readonly frames: InterleavedFrame[] = [];
  /** Interleaved frames are counted but not kept (long runs). */
  keepFrames = true;
  framesSeen = 0;
  bytesSeen = 0;
  onFrame: ((frame: InterleavedFrame) => void) | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private cseq = 0;
  private waiting: ((response: RtspResponse) => void) | undefined;
  closed = false;
  readonly ended: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.ended = new Promise((resolve) => socket.once('close', () => ((this.closed = true), resolve())));
    socket.on('error', () => undefined);
  }

  static open(port: number, host = '127.0.0.1'): Promise<RtspTestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new RtspTestClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a request; resolves with its response (rejects when the connection closes first). */
  request(method: string, url: string, headers: Record<string, string> = {}): Promise<RtspResponse> {
    const lines = [`${method} ${url} RTSP/1.0`, `CSeq: ${++this.cseq}`];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    return this.send(lines.join('\r\n') + '\r\n\r\n');
  }

  /** Raw bytes; resolves with the next response. */
  send(raw: string | Buffer): Promise<RtspResponse> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('connection closed'));
      this.waiting = resolve;
      void this.ended.then(() => reject(new Error('connection closed before the response')));
      this.socket.write(raw);
    });
  }

  /** DESCRIBE, SETUP over TCP (channels 0-1), PLAY: the session id. */
  async play(url: string, headers: Record<string, string> = {}): Promise<string> {
    const describe = await this.request('DESCRIBE', url, { Accept: 'application/sdp', ...headers });
    if (describe.status !== 200) throw new Error(`DESCRIBE: ${describe.status}`);
    const setup = await this.request('SETUP', `${url}/trackID=0`, {
      Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1',
      ...headers,
    });
    if (setup.status !== 200) throw new Error(`SETUP: ${setup.status}`);
    const session = setup.headers.get('session')!.split(';')[0]!;
    const play = await this.request('PLAY', url, { Session: session, ...headers });
    if (play.status !== 200) throw new Error(`PLAY: ${play.status}`);
    return session;
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const b = this.buffer;
      if (b.length === 0) return;
      if (b[0] === 0x24) {
        if (b.length < 4) return;
        const length = b.readUInt16BE(2);
        if (b.length < 4 + length) return;
        const frame = { channel: b[1]!, data: Buffer.from(b.subarray(4, 4 + length)), at: performance.now() };
        this.framesSeen++;
        this.bytesSeen += length;
        if (this.keepFrames) this.frames.push(frame);
        this.onFrame?.(frame);
        this.buffer = b.subarray(4 + length);
        continue;
      }
      const end = b.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = b.subarray(0, end).toString('latin1').split('\r\n');
      const headers = new Map<string, string>();
      for (const line of head.slice(1)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const before = headers.get(name);
        const value = line.slice(colon + 1).trim();
        headers.set(name, before === undefined ? value : `${before}\n${value}`);
      }
      const length = Number(headers.get('content-length') ?? 0);
      if (b.length < end + 4 + length) return;
      const body = b.subarray(end + 4, end + 4 + length).toString('utf8');
      this.buffer = b.subarray(end + 4 + length);
      const status = Number(/^RTSP\/1\.0 (\d{3})/.exec(head[0]!)?.[1] ?? 0);
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.({ status, headers, body });
    }
  }
}
