/**
 * The load generator, run as its own process: N viewers of one camera over
 * WebSocket protocol v1 (acking every frame) or MJPEG, plus optionally one
 * viewer that reads slowly. Prints one JSON line with what each viewer got.
 */
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { clientText, MjpegPartReader, WsFrameReader } from './readers.js';

export interface LoadPlan {
  port: number;
  camera: string;
  protocol: 'ws' | 'mjpeg';
  viewers: number;
  warmupMs: number;
  measureMs: number;
  /** Bytes per second the one slow viewer reads at; 0 for none. */
  slowBytesPerSecond: number;
}

export interface LoadResult {
  fps: number[];
  latencies: number[];
  failed: number;
  slow?: { bytesPerSecond: number; fps: number };
}

const plan = JSON.parse(process.argv[2]!) as LoadPlan;
const now = () => performance.timeOrigin + performance.now();

let measuring = false;
const counts = new Array<number>(plan.viewers).fill(0);
const latencies: number[] = [];
let failed = 0;

function request(path: string, ws: boolean): string {
  const upgrade = ws
    ? `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n`
    : '';
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${plan.port}\r\n${upgrade}\r\n`;
}

/** Splits off the HTTP response head, then hands the rest of the stream to `body`. */
function onResponse(socket: Socket, body: (chunk: Buffer) => void, keepHead: boolean): void {
  let head: Buffer | undefined = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    if (!head) return body(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    const status = head.toString('latin1', 0, 12);
    if (!/ 10[01]| 200/.test(status)) {
      failed++;
      socket.destroy();
      return;
    }
    const rest = keepHead ? head : head.subarray(end + 4);
    head = undefined;
    if (rest.length) body(rest);
  });
}

function wsViewer(i: number): void {
  const socket = connect(plan.port, '127.0.0.1', () => socket.write(request(`/api/cameras/${plan.camera}/ws`, true)));
  socket.setNoDelay(true);
  socket.on('error', () => failed++);
  const reader = new WsFrameReader(
    (head) => {
      const seq = head.readUInt32BE(4);
      const captured = head.readDoubleBE(8);
      socket.write(clientText(`{"type":"ack","seq":${seq}}`));
      if (!measuring) return;
      counts[i]!++;
      latencies.push(now() - captured);
    },
    () => {},
  );
  onResponse(socket, (c) => reader.push(c), false);
}

function mjpegViewer(i: number): void {
  const socket = connect(plan.port, '127.0.0.1', () =>
    socket.write(request(`/api/cameras/${plan.camera}/stream.mjpeg`, false)),
  );
  socket.on('error', () => failed++);
  const reader = new MjpegPartReader((ts) => {
    if (!measuring) return;
    counts[i]!++;
    latencies.push(now() - ts * 1000);
  });
  onResponse(socket, (c) => reader.push(c), true);
}

/** A viewer that reads at a fixed byte rate: the kernel buffers fill and the server sees a slow link. */
function slowViewer(): { bytes: () => number; frames: () => number } {
  const path =
    plan.protocol === 'ws' ? `/api/cameras/${plan.camera}/ws?ack=0` : `/api/cameras/${plan.camera}/stream.mjpeg`;
  const socket = connect({ port: plan.port, host: '127.0.0.1' }, () =>
    socket.write(request(path, plan.protocol === 'ws')),
  );
  socket.on('error', () => {});
  socket.pause();
  let bytes = 0;
  let frames = 0;
  const ws = new WsFrameReader(
    () => measuring && frames++,
    () => {},
  );
  const mjpeg = new MjpegPartReader(() => measuring && frames++);
  // The WebSocket reader wants the stream after the 101 response head; MJPEG's reader skips its own.
  let head: Buffer | undefined = plan.protocol === 'ws' ? Buffer.alloc(0) : undefined;
  const feed = (chunk: Buffer): void => {
    if (head) {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      chunk = head.subarray(end + 4);
      head = undefined;
    }
    (plan.protocol === 'ws' ? ws : mjpeg).push(chunk);
  };
  const tickMs = 50;
  const perTick = Math.max(1024, Math.round((plan.slowBytesPerSecond * tickMs) / 1000));
  setInterval(() => {
    let budget = perTick;
    while (budget > 0) {
      const chunk = (socket.read(Math.min(budget, 16384)) as Buffer | null) ?? (socket.read() as Buffer | null);
      if (!chunk) break;
      budget -= chunk.length;
      if (measuring) bytes += chunk.length;
      feed(chunk);
    }
  }, tickMs).unref();
  return { bytes: () => bytes, frames: () => frames };
}

const start = plan.protocol === 'ws' ? wsViewer : mjpegViewer;
for (let i = 0; i < plan.viewers; i++) {
  start(i);
  // Spread the connects a little so the accept queue is not the thing measured.
  if (i % 50 === 49) await new Promise((r) => setTimeout(r, 20));
}
const slow = plan.slowBytesPerSecond > 0 ? slowViewer() : undefined;

await new Promise((r) => setTimeout(r, plan.warmupMs));
measuring = true;
await new Promise((r) => setTimeout(r, plan.measureMs));
measuring = false;

const seconds = plan.measureMs / 1000;
const result: LoadResult = {
  fps: counts.map((c) => c / seconds),
  latencies,
  failed,
  ...(slow ? { slow: { bytesPerSecond: slow.bytes() / seconds, fps: slow.frames() / seconds } } : {}),
};
process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
