/**
 * The adaptive-quality pass: the bench's 1280x720 30 fps camera served by camrelay in one network
 * namespace to one viewer in another through a veth pair shaped with tbf (on the server's end), while 100
 * viewers watch the same camera on the server's own host (no shaping). Each figure is measured for an
 * adaptive H.264 viewer (`?codec=h264&quality=auto`) and, in the same run, for today's JPEG viewer
 * (protocol v1 JPEG) through the same link:
 *
 * - 1 Mbit/s: the H.264 viewer should settle on the sub-stream: ≥ 25 fps, p99 ≤ 500 ms, not growing
 *   (p99 of the window's second half against its first), no decode error; the 100 local viewers' fps.
 * - 256 kbit/s: a stream below main that fills the link (the low rung, or the sub-stream when it fits), not
 *   keyframes only: ≥ 5 fps, every unit a whole picture (ffmpeg decodes each), p99 ≤ 2 s.
 * - 8 → 1 → 8 Mbit/s: the time from each step to the viewer's move (down ≤ 3 s, up ≤ 10 s), and no decode
 *   error over the whole run.
 *
 * Latency is the viewer's receipt minus the unit's header time (when camrelay had the unit; same machine
 * clock). Needs root; otherwise it says why. Called by bench/run.ts, or alone:
 *
 *   node --import tsx bench/netns-adapt.ts       # makes its own clip; needs dist/ built
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateFfmpeg } from '../src/ffmpeg/locate.js';
import { addNetns, addVeth, deleteNetns, netnsId, netnsMissing, shapeLink } from '../test/support/netns.js';
import { startCamrelay, type CamrelayProcess } from '../test/support/process.js';
import type { AdaptViewerPlan, AdaptViewerResult } from './adapt-viewer.js';
import { runAlone } from './clip.js';
import type { LoadPlan, LoadResult } from './load.js';
import { percentile } from './netns-h264.js';

export interface AdaptPassOptions {
  root: string;
  /** A raw .mjpeg clip of 1280x720 JPEGs, replayed at 30 fps. */
  clip: string;
  quick: boolean;
}

const SERVER = '10.234.1.1';
const PORT = 8080;
const LOCAL_VIEWERS = 100;
const TARGETS = { subFps: 25, subP99Ms: 500, slowFps: 5, slowP99Ms: 2000, downMs: 3000, upMs: 10_000 };

interface Run {
  child: ChildProcess;
  done: Promise<string>;
}

function spawnIn(root: string, netns: string, script: string, arg: string): Run {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '--import', 'tsx', join(root, script), arg], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<string>((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${script} exited with ${code}: ${err.trim().slice(-300)}`)),
    ),
  );
  return { child, done };
}

/** ffmpeg's verdict on an Annex B file: pictures decoded, and its error lines. */
function decode(file: string): { pictures: number; errors: string } {
  const run = spawnSync(
    locateFfmpeg().path,
    ['-hide_banner', '-v', 'error', '-f', 'h264', '-i', file, '-f', 'framemd5', '-'],
    {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return {
    pictures: run.stdout.split('\n').filter((l) => l && !l.startsWith('#')).length,
    errors: run.stderr.trim().split('\n').filter(Boolean).length ? run.stderr.trim().split('\n')[0]! : '',
  };
}

interface Window {
  fps: number;
  p50: number;
  p99: number;
  p99First: number;
  p99Second: number;
  units: number;
  keyframes: number;
  /** Mean size of the window's keyframes, bytes. */
  keyframeBytes: number;
}

function window(r: AdaptViewerResult, from: number, to: number): Window {
  const idx = r.at.flatMap((at, i) => (at >= from && at < to ? [i] : []));
  const lat = (is: number[]): number[] => is.map((i) => r.latency[i]!).sort((a, b) => a - b);
  const mid = (from + to) / 2;
  const all = lat(idx);
  return {
    fps: idx.length / ((to - from) / 1000),
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    p99First: percentile(lat(idx.filter((i) => r.at[i]! < mid)), 99),
    p99Second: percentile(lat(idx.filter((i) => r.at[i]! >= mid)), 99),
    units: idx.length,
    keyframes: idx.filter((i) => r.keyframe[i]).length,
    keyframeBytes:
      idx.filter((i) => r.keyframe[i]).reduce((n, i) => n + r.bytes[i]!, 0) /
      Math.max(1, idx.filter((i) => r.keyframe[i]).length),
  };
}

const ms = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(0)} ms` : '—');
const met = (ok: boolean): string => (ok ? 'met' : 'MISSED');

export async function runAdaptPasses({ root, clip, quick }: AdaptPassOptions): Promise<string[]> {
  const missing = netnsMissing();
  if (missing) return [`adaptive quality (netns): not measured: ${missing}`];
  const id = netnsId();
  const ns = { server: `camrelay-as-${id}`, viewer: `camrelay-av-${id}` };
  const dev = { server: `cas${id}`, viewer: `cav${id}` };
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-bench-adapt-'));
  const warm = quick ? 6000 : 8000;
  const measure = quick ? 8000 : 12_000;
  let server: CamrelayProcess | undefined;
  const shape = (rate: string): void => shapeLink(ns.server, dev.server, { rate, burst: '32kbit', latency: '100ms' });
  const lines: string[] = [];
  try {
    addNetns(ns.server, ns.viewer);
    addVeth(
      { netns: ns.server, dev: dev.server, address: `${SERVER}/24` },
      { netns: ns.viewer, dev: dev.viewer, address: '10.234.1.2/24' },
    );
    const config = join(dir, 'camrelay.yaml');
    writeFileSync(
      config,
      `log: { level: ${process.env.BENCH_DEBUG ? 'debug' : 'warn'} }\ncameras:\n  - { id: cam, source: "file:${clip}?fps=30", always_on: true, encoder: libx264 }\n`,
    );
    server = (
      await startCamrelay(
        ['serve', '--host', SERVER, '--port', String(PORT), '--allow-anonymous', '--config', config],
        {
          netns: ns.server,
          timeoutMs: 20_000,
        },
      )
    ).proc;
    const url = (query: string): string => `ws://${SERVER}:${PORT}/api/cameras/cam/ws${query}`;
    const viewer = (query: string, durationMs: number, annexB?: string): Run => {
      const plan: AdaptViewerPlan = { url: url(query), durationMs, ...(annexB ? { annexB } : {}) };
      return spawnIn(root, ns.viewer, 'bench/adapt-viewer.ts', JSON.stringify(plan));
    };
    const local = (codec: 'h264' | 'jpeg'): Run => {
      const plan: LoadPlan = {
        host: SERVER,
        port: PORT,
        camera: 'cam',
        protocol: 'ws',
        codec,
        viewers: LOCAL_VIEWERS,
        warmupMs: warm,
        measureMs: measure,
        slowBytesPerSecond: 0,
      };
      return spawnIn(root, ns.server, 'bench/load.ts', JSON.stringify(plan));
    };
    const localFps = async (run: Run): Promise<string> => {
      const r = JSON.parse(await run.done) as LoadResult;
      const sorted = [...r.fps].sort((a, b) => a - b);
      return `${LOCAL_VIEWERS} local viewers ${percentile(sorted, 50).toFixed(1)} fps (slowest ${sorted[0]?.toFixed(1)})`;
    };

    // ---- 1 Mbit/s, then 256 kbit/s: a settled viewer, H.264 auto then JPEG, beside 100 local viewers ----
    for (const [rate, label] of [
      ['1mbit', '1 Mbit/s'],
      ['256kbit', '256 kbit/s'],
    ] as const) {
      shape(rate);
      const file = join(dir, `${rate}.h264`);
      const loadH264 = local('h264');
      const startedAt = Date.now();
      const h = viewer('?codec=h264&quality=auto', warm + measure + 500, file);
      const r = JSON.parse(await h.done) as AdaptViewerResult;
      const localH264 = await localFps(loadH264);
      const w = window(r, startedAt + warm, startedAt + warm + measure);
      const d = decode(file);
      const quality = r.qualities.at(-1);
      const loadJpeg = local('jpeg');
      const jStart = Date.now();
      const j = JSON.parse(await viewer('', warm + measure + 500).done) as AdaptViewerResult;
      const localJpeg = await localFps(loadJpeg);
      const jw = window(j, jStart + warm, jStart + warm + measure);
      if (r.failed || j.failed) lines.push(`  (a viewer failed: ${r.failed ?? ''} ${j.failed ?? ''})`);
      const whole = d.errors === '' && d.pictures >= r.at.length - 1;
      const verdict =
        rate === '1mbit'
          ? `targets sub ≥ ${TARGETS.subFps} fps, p99 ≤ ${TARGETS.subP99Ms} ms, not growing: ` +
            met(
              quality?.quality === 'sub' &&
                w.fps >= TARGETS.subFps &&
                w.p99 <= TARGETS.subP99Ms &&
                w.p99Second <= w.p99First * 1.5 + 50 &&
                whole,
            )
          : `targets low or sub ≥ ${TARGETS.slowFps} fps, every picture whole, p99 ≤ ${TARGETS.slowP99Ms} ms: ` +
            met(
              (quality?.quality === 'low' || quality?.quality === 'sub') &&
                w.fps >= TARGETS.slowFps &&
                whole &&
                w.p99 <= TARGETS.slowP99Ms,
            );
      lines.push(
        `adaptive H.264 through ${label}: ${quality?.quality ?? '?'} (${quality?.reason ?? '?'}), ${w.fps.toFixed(1)} fps, ` +
          `p50 ${ms(w.p50)}, p99 ${ms(w.p99)} (halves ${ms(w.p99First)} → ${ms(w.p99Second)}), ` +
          `${w.keyframes}/${w.units} keyframes (${(w.keyframeBytes / 1024).toFixed(0)} KB each), ` +
          `moves ${r.qualities.map((q) => q.quality).join(' → ')}, ${d.pictures} pictures of ${r.at.length} units, decode errors: ` +
          `${d.errors || 'none'}; ${localH264}; ${verdict}`,
        `  JPEG (today) through ${label}: ${jw.fps.toFixed(1)} fps, p50 ${ms(jw.p50)}, p99 ${ms(jw.p99)} ` +
          `(halves ${ms(jw.p99First)} → ${ms(jw.p99Second)}); ${localJpeg}`,
      );
    }

    // ---- stepping 8 → 1 → 8 Mbit/s ----
    const step = quick ? { fast: 8000, slow: 10_000, back: 14_000 } : { fast: 10_000, slow: 12_000, back: 15_000 };
    const total = step.fast + step.slow + step.back;
    for (const codec of ['h264', 'jpeg'] as const) {
      shape('8mbit');
      const file = join(dir, `step-${codec}.h264`);
      const v = codec === 'h264' ? viewer('?codec=h264&quality=auto', total + 500, file) : viewer('', total + 500);
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, step.fast));
      const downAt = Date.now();
      shape('1mbit');
      await new Promise((r) => setTimeout(r, step.slow));
      const upAt = Date.now();
      shape('8mbit');
      const r = JSON.parse(await v.done) as AdaptViewerResult;
      const phase = (from: number, to: number): Window => window(r, from, to);
      const a = phase(t0 + 3000, downAt);
      const b = phase(downAt + 3000, upAt);
      const c = phase(upAt + 10_000, t0 + total);
      const phases = `8 Mbit/s ${a.fps.toFixed(1)} fps p99 ${ms(a.p99)}, 1 Mbit/s ${b.fps.toFixed(1)} fps p99 ${ms(b.p99)}, back at 8 Mbit/s ${c.fps.toFixed(1)} fps p99 ${ms(c.p99)}`;
      if (codec === 'jpeg') {
        lines.push(`  JPEG (today) stepping 8 → 1 → 8 Mbit/s: ${phases}`);
        continue;
      }
      if (process.env.BENCH_DEBUG) {
        for (const l of server.logs)
          if (/quality|transcoder/.test(String(l.msg))) console.error(Math.round(Number(l.time) - downAt), l.msg);
      }
      const down = r.qualities.find((q) => q.at >= downAt && q.quality !== 'main');
      const up = r.qualities.find((q) => q.at >= upAt && q.quality === 'main');
      const downMs = down ? down.at - downAt : NaN;
      const upMs = up ? up.at - upAt : NaN;
      const d = decode(file);
      lines.push(
        `adaptive H.264 stepping 8 → 1 → 8 Mbit/s: down to ${down?.quality ?? '—'} after ${ms(downMs)}, back to main ` +
          `after ${ms(upMs)}; moves ${r.qualities.map((q) => q.quality).join(' → ')}; ${phases}; ${d.pictures} pictures ` +
          `of ${r.at.length} units, decode errors: ${d.errors || 'none'}; targets down ≤ ${TARGETS.downMs / 1000} s, ` +
          `up ≤ ${TARGETS.upMs / 1000} s, no decode error: ` +
          met(downMs <= TARGETS.downMs && upMs <= TARGETS.upMs && d.errors === ''),
      );
    }
    return lines;
  } catch (err) {
    return [...lines, `adaptive quality (netns): not measured: ${(err as Error).message.split('\n')[0]}`];
  } finally {
    await server?.stop('SIGTERM', 5000);
    deleteNetns(ns.server, ns.viewer);
    rmSync(dir, { recursive: true, force: true });
  }
}

await runAlone(import.meta.url, runAdaptPasses);
