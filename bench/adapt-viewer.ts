/**
 * One viewer as its own process for the adaptive-quality bench (bench/netns-adapt.ts), run inside a
 * network namespace: protocol v1 over the `ws` client (which joins the fragments of a renumbered unit),
 * acking each unit on arrival. H.264 units are written as one Annex B stream (each `config`'s SPS/PPS
 * before the units it configures) to `annexB` for ffmpeg to check; `quality` messages are kept with their
 * receipt time. At the end (after `durationMs`, or a line on stdin) it prints one JSON line.
 *
 *   node --import tsx bench/adapt-viewer.ts '{"url":"ws://…/ws?codec=h264&quality=auto","durationMs":30000,"annexB":"/tmp/x.h264"}'
 */
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';
import { parseAvcC } from '../src/codec/h264/avcc.js';
import { avcToAnnexB, joinAnnexB } from '../src/codec/h264/nal.js';
import { decodeHeader } from '../src/wire/header.js';

export interface AdaptViewerPlan {
  url: string;
  durationMs: number;
  /** Where to write the H.264 received (Annex B); none for JPEG. */
  annexB?: string;
}

export interface AdaptViewerResult {
  /** Per unit: receipt (ms since the epoch), latency (ms), payload bytes, keyframe, width of its config. */
  at: number[];
  latency: number[];
  bytes: number[];
  keyframe: boolean[];
  width: number[];
  qualities: { at: number; quality: string; reason: string }[];
  /** Units whose sequence number did not follow the previous one's. */
  gaps: number;
  failed: string | null;
}

const plan = JSON.parse(process.argv[2]!) as AdaptViewerPlan;
const now = (): number => performance.timeOrigin + performance.now();
const result: AdaptViewerResult = {
  at: [],
  latency: [],
  bytes: [],
  keyframe: [],
  width: [],
  qualities: [],
  gaps: 0,
  failed: null,
};
const out = plan.annexB ? createWriteStream(plan.annexB) : undefined;
let width = 0;
let lastSeq: number | undefined;

const ws = new WebSocket(plan.url);
ws.on('error', (err) => (result.failed = err.message));
ws.on('message', (data, isBinary) => {
  const at = now();
  const buf = Buffer.from(data as Buffer);
  if (!isBinary) {
    const m = JSON.parse(buf.toString()) as Record<string, unknown>;
    if (m.type === 'quality') result.qualities.push({ at, quality: String(m.quality), reason: String(m.reason) });
    if (m.type === 'config' && out) {
      const avcC = parseAvcC(Buffer.from(String(m.description), 'base64'));
      width = Number(m.width);
      out.write(joinAnnexB([...avcC.sps, ...avcC.pps]));
    }
    return;
  }
  const h = decodeHeader(buf);
  ws.send(`{"type":"ack","seq":${h.seq}}`);
  if (lastSeq !== undefined && h.seq !== (lastSeq + 1) >>> 0) result.gaps++;
  lastSeq = h.seq;
  const payload = buf.subarray(h.headerLength);
  result.at.push(at);
  result.latency.push(at - h.capturedAt);
  result.bytes.push(payload.length);
  result.keyframe.push((h.flags & 1) === 1);
  result.width.push(width);
  if (out && h.codec === 2) out.write(avcToAnnexB(payload));
});

const finish = (): void => {
  ws.close();
  const print = (): void => void process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
  if (out) out.end(print);
  else print();
};
const timer = setTimeout(finish, plan.durationMs);
createInterface({ input: process.stdin }).once('line', () => {
  clearTimeout(timer);
  finish();
});
