/**
 * The RTSP load generator, run as its own process: N clients of one camera over RTSP with RTP interleaved
 * on TCP (test/support/rtsp-client.ts). Each counts its access units (RTP markers) over the measured
 * window; latency is the receipt time minus the picture's wall time, read from its RTP time through the
 * stream's RTCP sender reports (how any RTSP client ties RTP time to wall time; same machine clock).
 * With `annexB`, the first client writes what it received as an H.264 Annex B file (for ffmpeg to decode).
 * Prints one JSON line.
 */
import { createWriteStream } from 'node:fs';
import { h264Depacketize, readRtpHeader, readSenderReport } from '../src/codec/rtp/index.js';
import { RtspTestClient } from '../test/support/rtsp-client.js';

export interface RtspLoadPlan {
  host: string;
  port: number;
  path: string;
  clients: number;
  warmupMs: number;
  measureMs: number;
  annexB?: string;
}

export interface RtspLoadResult {
  fps: number[];
  latencies: number[];
  failed: number;
  /** The first client: units received in the window, and the gaps in its RTP time (over 1.5 frames: skips). */
  units: number;
  gaps: number;
}

const plan = JSON.parse(process.argv[2]!) as RtspLoadPlan;
const url = `rtsp://${plan.host}:${plan.port}/${plan.path}`;
const wall = (): number => performance.timeOrigin + performance.now();
let measuring = false;
const counts = new Array<number>(plan.clients).fill(0);
const latencies: number[] = [];
let failed = 0;
let gaps = 0;
let lastTimestamp: number | undefined;
const annexB = plan.annexB ? createWriteStream(plan.annexB) : undefined;
const START = Buffer.from([0, 0, 0, 1]);

async function client(i: number): Promise<RtspTestClient | undefined> {
  try {
    const c = await RtspTestClient.open(plan.port, plan.host);
    c.keepFrames = false;
    let sr: { rtp: number; wall: number } | undefined;
    let payloads: Buffer[] = [];
    c.onFrame = (frame) => {
      if (frame.channel === 1) {
        const report = readSenderReport(frame.data);
        if (report) sr = { rtp: report.rtpTimestamp, wall: report.wallTimeMs };
        return;
      }
      const header = readRtpHeader(frame.data);
      if (!header) return;
      if (annexB && i === 0) payloads.push(frame.data.subarray(12));
      if (!header.marker) return;
      if (annexB && i === 0) {
        for (const nal of h264Depacketize(payloads)) annexB.write(Buffer.concat([START, nal]));
        payloads = [];
      }
      if (!measuring) return;
      counts[i]!++;
      if (i === 0) {
        if (lastTimestamp !== undefined && ((header.timestamp - lastTimestamp) | 0) > 4500) gaps++;
        lastTimestamp = header.timestamp;
      }
      if (sr && i % 10 === 0) {
        const delta = ((header.timestamp - sr.rtp) | 0) / 90; // signed 32-bit difference, ms
        latencies.push(wall() - (sr.wall + delta));
      }
    };
    await c.play(url);
    return c;
  } catch {
    failed++;
    return undefined;
  }
}

const clients = await Promise.all(Array.from({ length: plan.clients }, (_, i) => client(i)));
await new Promise((r) => setTimeout(r, plan.warmupMs));
measuring = true;
await new Promise((r) => setTimeout(r, plan.measureMs));
measuring = false;
for (const c of clients) c?.close();
annexB?.end();
const result: RtspLoadResult = {
  fps: counts.map((n) => (n * 1000) / plan.measureMs),
  latencies,
  failed,
  units: counts[0] ?? 0,
  gaps,
};
console.log(JSON.stringify(result));
