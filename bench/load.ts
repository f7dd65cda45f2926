/**
 * The load generator, run as its own process: N viewers of one camera over
 * WebSocket protocol v1 (acking every message; JPEG, or H.264 with `codec: 'h264'`)
 * or MJPEG, plus optionally one viewer that reads slowly. Prints one JSON line with
 * what each viewer got. H.264 viewers parse the 16-byte header, count the bytes and
 * ack every message; the access unit itself is skipped, never copied.
 *
 * `protocol: 'first-picture'`: one H.264 viewer keeps the camera (and its encoder) warm,
 * then `tries` new viewers connect one after the other; each one's time from opening the
 * socket to its `config` and to its first keyframe is reported.
 */
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { clientText, MjpegPartReader, WsFrameReader } from './readers.js';

export interface LoadPlan {
  port: number;
  camera: string;
  protocol: 'ws' | 'mjpeg' | 'first-picture';
  /** WebSocket viewers: the codec asked for (`?codec=`); jpeg by default. */
  codec?: 'jpeg' | 'h264';
  /** Default 127.0.0.1. */
  host?: string;
  viewers: number;
  /** first-picture: new viewers timed. */
  tries?: number;
  warmupMs: number;
  measureMs: number;
  /** Bytes per second the one slow viewer reads at; 0 for none. */
  slowBytesPerSecond: number;
}

export interface LoadResult {
  fps: number[];
  latencies: number[];
  failed: number;
  /** Bytes per second each viewer received over the window (video messages, headers included). */
  bytesPerSecond: number[];
  /** Video messages that were keyframes / all video messages, over every viewer and the window. */
  keyframes: number;
  slow?: { bytesPerSecond: number; fps: number };
  /** first-picture: ms from opening the socket to the config message and to the first keyframe, per try. */
  firstConfigMs?: number[];
  firstKeyframeMs?: number[];
  /** first-picture: tries whose first video message was not a keyframe. */
  notKeyframeFirst?: number;
}

const plan = JSON.parse(process.argv[2]!) as LoadPlan;
const now = () => performance.timeOrigin + performance.now();

let measuring = false;
const host = plan.host ?? '127.0.0.1';
const codec = plan.codec ?? 'jpeg';
const wsPath = `/api/cameras/${plan.camera}/ws${codec === 'h264' ? '?codec=h264' : ''}`;
const counts = new Array<number>(plan.viewers).fill(0);
const bytes = new Array<number>(plan.viewers).fill(0);
let keyframes = 0;
const latencies: number[] = [];
let failed = 0;

function request(path: string, ws: boolean): string {
  const upgrade = ws
    ? `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n`
    : '';
  return `GET ${path} HTTP/1.1\r\nHost: ${host}:${plan.port}\r\n${upgrade}\r\n`;
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

function wsViewer(i: number): Socket {
  const socket = connect(plan.port, host, () => socket.write(request(wsPath, true)));
  socket.setNoDelay(true);
  socket.on('error', () => failed++);
  const reader = new WsFrameReader(
    (head, length) => {
      const seq = head.readUInt32BE(4);
      const captured = head.readDoubleBE(8);
      socket.write(clientText(`{"type":"ack","seq":${seq}}`));
      if (!measuring || i < 0) return;
      counts[i]!++;
      bytes[i]! += length;
      if (head[2]! & 1) keyframes++;
      latencies.push(now() - captured);
    },
    () => {},
  );
  onResponse(socket, (c) => reader.push(c), false);
  return socket;
}

/** One new H.264 viewer: ms from opening the socket to its config and to its first keyframe. */
function firstPicture(): Promise<{ config: number; keyframe: number; keyframeFirst: boolean }> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    let config = NaN;
    const socket = connect(plan.port, host, () => socket.write(request(wsPath, true)));
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no keyframe within 5 s'));
    }, 5000);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    const reader = new WsFrameReader(
      (head) => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ config, keyframe: now() - t0, keyframeFirst: (head[2]! & 1) === 1 });
      },
      (text) => {
        if (Number.isNaN(config) && text.includes('"config"')) config = now() - t0;
      },
    );
    onResponse(socket, (c) => reader.push(c), false);
  });
}

function mjpegViewer(i: number): void {
  const socket = connect(plan.port, host, () =>
    socket.write(request(`/api/cameras/${plan.camera}/stream.mjpeg`, false)),
  );
  socket.on('error', () => failed++);
  const reader = new MjpegPartReader((ts, length) => {
    if (!measuring) return;
    counts[i]!++;
    bytes[i]! += length;
    latencies.push(now() - ts * 1000);
  });
  onResponse(socket, (c) => reader.push(c), true);
}

/** A viewer that reads at a fixed byte rate: the kernel buffers fill and the server sees a slow link. */
function slowViewer(): { bytes: () => number; frames: () => number } {
  const path =
    plan.protocol === 'ws'
      ? `/api/cameras/${plan.camera}/ws?ack=0${codec === 'h264' ? '&codec=h264' : ''}`
      : `/api/cameras/${plan.camera}/stream.mjpeg`;
  const socket = connect({ port: plan.port, host }, () => socket.write(request(path, plan.protocol === 'ws')));
  socket.on('error', () => {});
  socket.pause();
  let slowBytes = 0;
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
      if (measuring) slowBytes += chunk.length;
      feed(chunk);
    }
  }, tickMs).unref();
  return { bytes: () => slowBytes, frames: () => frames };
}

if (plan.protocol === 'first-picture') {
  // The camera and its encoder already run for another viewer: this one stays for the whole phase.
  const warm = wsViewer(-1);
  await new Promise((r) => setTimeout(r, plan.warmupMs));
  const firstConfigMs: number[] = [];
  const firstKeyframeMs: number[] = [];
  let notKeyframeFirst = 0;
  for (let t = 0; t < (plan.tries ?? 20); t++) {
    try {
      const r = await firstPicture();
      firstConfigMs.push(r.config);
      firstKeyframeMs.push(r.keyframe);
      if (!r.keyframeFirst) notKeyframeFirst++;
    } catch {
      failed++;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  warm.destroy();
  const result: LoadResult = {
    fps: [],
    latencies: [],
    failed,
    bytesPerSecond: [],
    keyframes: 0,
    firstConfigMs,
    firstKeyframeMs,
    notKeyframeFirst,
  };
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
  await new Promise(() => {});
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
  bytesPerSecond: bytes.map((b) => b / seconds),
  keyframes,
  ...(slow ? { slow: { bytesPerSecond: slow.bytes() / seconds, fps: slow.frames() / seconds } } : {}),
};
process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
