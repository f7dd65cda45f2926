/**
 * One viewer as its own process, for the netns pass (bench/netns-h264.ts) that runs it inside a
 * network namespace: H.264 over WebSocket protocol v1 (`?codec=h264`, acking every unit), JPEG over
 * the same protocol (`jpeg`, acking every frame), or MJPEG (`stream.mjpeg`). Prints one JSON line: the units received in the measured window, their
 * latencies (receipt of a unit's last byte, when a client can decode it, minus the time the server
 * put on it; the same machine clock) and payload bytes. Each unit is acked once it is complete.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { clientText } from './readers.js';

export interface NetnsViewerPlan {
  host: string;
  port: number;
  camera: string;
  codec: 'h264' | 'jpeg' | 'mjpeg';
  warmupMs: number;
  measureMs: number;
}

export interface NetnsViewerResult {
  units: number;
  keyframes: number;
  /** Sequence gaps (H.264 only): units this viewer skipped. */
  skips: number;
  latencies: number[];
  bytes: number;
  failed: string | null;
}

const plan = JSON.parse(process.argv[2]!) as NetnsViewerPlan;
const now = (): number => performance.timeOrigin + performance.now();
const result: NetnsViewerResult = { units: 0, keyframes: 0, skips: 0, latencies: [], bytes: 0, failed: null };
let measuring = false;
let lastSeq: number | undefined;

const h264 = plan.codec === 'h264';
const ws = plan.codec !== 'mjpeg';
const path = ws
  ? `/api/cameras/${plan.camera}/ws${h264 ? '?codec=h264' : ''}`
  : `/api/cameras/${plan.camera}/stream.mjpeg`;
const upgrade = ws
  ? 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n`
  : '';
const socket = connect({ host: plan.host, port: plan.port }, () =>
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${plan.host}:${plan.port}\r\n${upgrade}\r\n`),
);
socket.setNoDelay(true);
socket.on('error', (err) => (result.failed = err.message));

/** A complete binary message (one unit): acked, and counted at its last byte, when a client can decode it. */
function onUnit(message: Buffer): void {
  const seq = message.readUInt32BE(4);
  socket.write(clientText(`{"type":"ack","seq":${seq}}`));
  const skipped = lastSeq !== undefined && seq !== (lastSeq + 1) >>> 0;
  lastSeq = seq;
  if (!measuring) return;
  result.units++;
  if (message[2]! & 1) result.keyframes++;
  if (skipped) result.skips++;
  result.bytes += message.length - message[3]!;
  result.latencies.push(now() - message.readDoubleBE(8));
}

/** A complete MJPEG part, counted at its last byte. */
function onPart(timestampSeconds: number, length: number): void {
  if (!measuring) return;
  result.units++;
  result.keyframes++;
  result.bytes += length;
  result.latencies.push(now() - timestampSeconds * 1000);
}

let buf: Buffer = Buffer.alloc(0);
let headSeen = false;

/** WebSocket frames from the server (never masked, never fragmented by camrelay). */
function parseWs(): void {
  for (;;) {
    if (buf.length < 2) return;
    const opcode = buf[0]! & 0x0f;
    let len = buf[1]! & 0x7f;
    let at = 2;
    if (len === 126) {
      if (buf.length < 4) return;
      len = buf.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (buf.length < 10) return;
      len = Number(buf.readBigUInt64BE(2));
      at = 10;
    }
    if (buf.length < at + len) return;
    if (opcode === 2) onUnit(buf.subarray(at, at + len));
    buf = buf.subarray(at + len);
  }
}

/** multipart/x-mixed-replace parts: headers with Content-Length and X-Timestamp, then the JPEG. */
function parseMjpeg(): void {
  for (;;) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = buf.toString('latin1', 0, end);
    const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
    const ts = Number(/x-timestamp:\s*([\d.]+)/i.exec(head)?.[1] ?? NaN);
    if (!Number.isFinite(length)) {
      buf = buf.subarray(end + 4); // a boundary line or the like
      continue;
    }
    if (buf.length < end + 4 + length) return;
    onPart(ts, length);
    buf = buf.subarray(end + 4 + length);
  }
}

socket.on('data', (chunk: Buffer) => {
  buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
  if (!headSeen) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const status = buf.toString('latin1', 0, 12);
    if (!/^HTTP\/1\.1 (101|200)/.test(status)) {
      result.failed = buf.toString('latin1', 0, end);
      socket.destroy();
      return;
    }
    headSeen = true;
    buf = buf.subarray(end + 4);
  }
  if (ws) parseWs();
  else parseMjpeg();
});

await new Promise((r) => setTimeout(r, plan.warmupMs));
measuring = true;
await new Promise((r) => setTimeout(r, plan.measureMs));
measuring = false;
socket.destroy();
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
