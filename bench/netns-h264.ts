/**
 * The netns pass: a 1280x720 30 fps camera (the bench's noisy JPEG clip) served by camrelay in one
 * network namespace to one viewer in another, through a veth pair shaped to 4 Mbit/s (tbf on the
 * server's end). H.264 (`?codec=h264`, encoded once by camrelay) and MJPEG (`stream.mjpeg`) are
 * measured one after the other over the same link in the same run; one line per codec with fps,
 * latency p50/p99, bytes/s (the payload, and the link's own count), and whether the target is met:
 * H.264 ≥ 29 fps with p99 ≤ 300 ms. MJPEG is the reference (a 1280x720 JPEG stream is several times
 * what the link carries), without a target. Latency is the viewer's receipt minus the unit's time
 * (same machine clock): for MJPEG when camrelay got the JPEG from the camera, for H.264 when it got
 * the access unit from its encoder (the protocol's header time), so the encoding is not in it.
 *
 * Needs root; otherwise it says why instead of a line per codec. Called by bench/run.ts, or alone:
 *
 *   node --import tsx bench/netns-h264.ts       # makes its own clip; needs dist/ built
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addNetns,
  addVeth,
  deleteNetns,
  linkBytesSent,
  netnsId,
  netnsMissing,
  shapeLink,
} from '../test/support/netns.js';
import { startCamrelay, type CamrelayProcess } from '../test/support/process.js';
import type { NetnsViewerPlan, NetnsViewerResult } from './netns-viewer.js';
import { runAlone } from './clip.js';

export interface NetnsPassOptions {
  /** The repository's root. */
  root: string;
  /** A raw .mjpeg clip of 1280x720 JPEGs, replayed at 30 fps. */
  clip: string;
  quick: boolean;
  warmupMs: number;
  measureMs: number;
}

const LINK = '4mbit';
const TARGET = { fps: 29, p99Ms: 300 };
const SERVER_ADDRESS = '10.233.1.1';
const PORT = 8080;

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A measured window in figures: frame rate, latency percentiles, a byte rate, and the verdict on the H.264 target. */
export function summarize(r: { units: number; latencies: number[] }, measureMs: number, codec: string) {
  const s = measureMs / 1000;
  const fps = r.units / s;
  const lat = [...r.latencies].sort((a, b) => a - b);
  const p50 = percentile(lat, 50);
  const p99 = percentile(lat, 99);
  const kb = (n: number): string => `${(n / s / 1024).toFixed(0)} KB/s`;
  const verdict =
    codec === 'h264'
      ? `targets ≥ ${TARGET.fps} fps and p99 ≤ ${TARGET.p99Ms} ms: ` +
        (fps >= TARGET.fps && p99 <= TARGET.p99Ms ? 'met' : 'MISSED')
      : 'reference (no target)';
  return { fps, p50, p99, kb, verdict };
}

/** One viewer (bench/netns-viewer.ts) in the viewer's namespace; the link's bytes over its measured window. */
export async function measure(
  root: string,
  netns: string,
  link: { netns: string; dev: string },
  plan: NetnsViewerPlan,
): Promise<NetnsViewerResult & { linkBytes: number }> {
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      netns,
      process.execPath,
      '--import',
      'tsx',
      join(root, 'bench/netns-viewer.ts'),
      JSON.stringify(plan),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  // The window is the viewer's own (from its start); the link's count is sampled around the same one.
  await new Promise((r) => setTimeout(r, plan.warmupMs + 300));
  const before = linkBytesSent(link.netns, link.dev);
  await new Promise((r) => setTimeout(r, plan.measureMs));
  const after = linkBytesSent(link.netns, link.dev);
  const code = await exited;
  if (code !== 0)
    throw new Error(`bench/netns-viewer.ts exited with ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`);
  const result = JSON.parse(out) as NetnsViewerResult;
  if (result.failed) throw new Error(`the ${plan.codec} viewer failed: ${result.failed}`);
  return { ...result, linkBytes: after - before };
}

/** The pass; its lines for the report (or one line saying why it could not run). */
export async function runNetnsPasses({ root, clip, warmupMs, measureMs }: NetnsPassOptions): Promise<string[]> {
  const missing = netnsMissing();
  if (missing) return [`netns (${LINK} link): not measured: ${missing}`];
  const id = netnsId();
  const ns = { server: `camrelay-bs-${id}`, viewer: `camrelay-bv-${id}` };
  const dev = { server: `cbs${id}`, viewer: `cbv${id}` };
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-bench-netns-'));
  let server: CamrelayProcess | undefined;
  try {
    addNetns(ns.server, ns.viewer);
    addVeth(
      { netns: ns.server, dev: dev.server, address: `${SERVER_ADDRESS}/24` },
      { netns: ns.viewer, dev: dev.viewer, address: '10.233.1.2/24' },
    );
    shapeLink(ns.server, dev.server, { rate: LINK, burst: '32kbit', latency: '50ms' });
    const config = join(dir, 'camrelay.yaml');
    writeFileSync(
      config,
      `log: { level: warn }\ncameras:\n  - { id: cam, source: "file:${clip}?fps=30", always_on: true }\n`,
    );
    const started = await startCamrelay(
      ['serve', '--host', SERVER_ADDRESS, '--port', String(PORT), '--allow-anonymous', '--config', config],
      { netns: ns.server, timeoutMs: 20_000 },
    );
    server = started.proc;
    const lines: string[] = [];
    for (const codec of ['h264', 'mjpeg'] as const) {
      // H.264 warms up longer: its encoder starts with its first viewer.
      const plan: NetnsViewerPlan = {
        host: SERVER_ADDRESS,
        port: PORT,
        camera: 'cam',
        codec,
        warmupMs: warmupMs + (codec === 'h264' ? 2000 : 0),
        measureMs,
      };
      try {
        const r = await measure(root, ns.viewer, { netns: ns.server, dev: dev.server }, plan);
        const { fps, p50, p99, kb, verdict } = summarize(r, measureMs, codec);
        const detail = codec === 'h264' ? `, ${r.keyframes} keyframes, ${r.skips} skips` : '';
        lines.push(
          `netns ${codec === 'h264' ? 'H.264 (ws)' : 'MJPEG'} through a ${LINK.replace('mbit', ' Mbit/s')} link, ` +
            `1280x720 at 30 fps: ${fps.toFixed(1)} fps, latency ${codec === 'h264' ? 'from the encoder ' : ''}` +
            `p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, ` +
            `${kb(r.bytes)} payload (${kb(r.linkBytes)} on the link)${detail}; ${verdict}`,
        );
      } catch (err) {
        lines.push(`netns ${codec} through a 4 Mbit/s link: not measured: ${(err as Error).message}`);
      }
    }
    return lines;
  } catch (err) {
    return [`netns (${LINK} link): not measured: ${(err as Error).message.split('\n')[0]}`];
  } finally {
    await server?.stop('SIGTERM', 5000);
    deleteNetns(ns.server, ns.viewer);
    rmSync(dir, { recursive: true, force: true });
  }
}

await runAlone(import.meta.url, runNetnsPasses);
