/**
 * `npm run bench`: fan-out benchmark. Starts the built server with a camera
 * that replays pre-encoded 1280x720 JPEGs (50–100 KB) at 30 fps, then for
 * each viewer count runs the load generator (bench/load.ts) as a separate
 * process and prints per-viewer fps, capture-to-receipt latency, and the
 * server's CPU and RSS over the measured window.
 *
 *   npm run bench                       # the full run recorded in docs/benchmarks.md
 *   BENCH_QUICK=1 npm run bench         # N = 1, 50 only, shorter windows
 *
 * A last phase opens the player in headless Chromium (bench/player.ts) and reports the frames
 * it displays per second and its capture-to-display latency against their targets.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { locateFfmpeg } from '../src/sources/ffmpeg/locate.js';
import { portOf } from '../test/support/ports.js';
import { startCamrelay } from '../test/support/process.js';
import type { LoadPlan, LoadResult } from './load.js';
import type { PlayerPlan, PlayerResult } from './player-plan.js';

const ROOT = join(import.meta.dirname, '..');
const quick = !!process.env.BENCH_QUICK;
const WARMUP_MS = quick ? 2000 : 3000;
const MEASURE_MS = quick ? 4000 : 10_000;
const FRAMES = 90;

const dir = mkdtempSync(join(tmpdir(), 'camrelay-bench-'));
const clip = join(dir, 'frames.mjpeg');
// Noise keeps the JPEGs at a realistic camera size (~70 KB) instead of a flat pattern's few KB.
execFileSync(locateFfmpeg().path, [
  '-hide_banner',
  '-loglevel',
  'error',
  '-y',
  '-f',
  'lavfi',
  '-i',
  'testsrc2=size=1280x720:rate=30',
  '-vf',
  'noise=alls=12:allf=t',
  '-frames:v',
  String(FRAMES),
  '-c:v',
  'mjpeg',
  '-pix_fmt',
  'yuvj420p',
  '-q:v',
  '8',
  '-f',
  'mjpeg',
  clip,
]);
const frameKb = statSync(clip).size / FRAMES / 1024;

const config = join(dir, 'bench.yaml');
// On demand (not always_on), so the idle phase below measures a server with nothing to do.
// Limits raised: the load generator opens hundreds of viewers from one address.
writeFileSync(
  config,
  `log: { level: warn }\nlimits: { connections_per_address: 2000, viewers_per_camera: 2000, viewers_total: 4000 }\ncameras:\n  - { id: bench, source: "file:${clip}?fps=30", idle_grace: 5 }\n`,
);

// The same child-process wrapper as the tests' (test/support/process.ts): spawn, wait for the listening line.
const { proc: server, url: serverUrl } = await startCamrelay(['serve', '--config', config, '--port', '0'], {
  timeoutMs: 15_000,
});
const port = portOf(serverUrl);
process.on('exit', () => server.child.kill('SIGKILL'));

const TICK = 100; // USER_HZ on Linux

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}
function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Row {
  pass: string;
  viewers: number;
  fpsMin: number;
  fpsMedian: number;
  p50: number;
  p99: number;
  cpu: number;
  rssStart: number;
  rssMax: number;
  failed: number;
  slow?: string;
}

async function pass(name: string, protocol: 'ws' | 'mjpeg', viewers: number, slowBytesPerSecond = 0): Promise<Row> {
  const plan: LoadPlan = {
    port,
    camera: 'bench',
    protocol,
    viewers,
    warmupMs: WARMUP_MS,
    measureMs: MEASURE_MS,
    slowBytesPerSecond,
  };
  const load = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/load.ts'), JSON.stringify(plan)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  load.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const rssStart = rssMb(server.pid!);
  await new Promise((r) => setTimeout(r, WARMUP_MS + 200));
  const cpu0 = cpuSeconds(server.pid!);
  const t0 = performance.now();
  let rssMax = rssMb(server.pid!);
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssMb(server.pid!))), 250);
  await new Promise((r) => setTimeout(r, MEASURE_MS - 400));
  const cpu = (cpuSeconds(server.pid!) - cpu0) / ((performance.now() - t0) / 1000);
  await new Promise<void>((r) => load.once('exit', () => r()));
  clearInterval(sampler);
  const result = JSON.parse(out) as LoadResult;
  const fps = [...result.fps].sort((a, b) => a - b);
  const lat = result.latencies.sort((a, b) => a - b);
  // Let the server settle between passes (closed sockets, GC).
  await new Promise((r) => setTimeout(r, 1500));
  return {
    pass: name,
    viewers,
    fpsMin: fps[0] ?? 0,
    fpsMedian: percentile(fps, 50),
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    cpu,
    rssStart,
    rssMax,
    failed: result.failed,
    slow: result.slow
      ? `${(result.slow.bytesPerSecond / 1024).toFixed(0)} KB/s, ${result.slow.fps.toFixed(1)} fps`
      : undefined,
  };
}

const f1 = (n: number) => n.toFixed(1);

// Idle: no viewer, so no capture; the server should use no measurable CPU (once start-up is over).
await new Promise((r) => setTimeout(r, 5000));
const idleCpu0 = cpuSeconds(server.pid!);
const idleT0 = performance.now();
await new Promise((r) => setTimeout(r, quick ? 3000 : 10_000));
const idleCpu = (cpuSeconds(server.pid!) - idleCpu0) / ((performance.now() - idleT0) / 1000);
const idleRss = rssMb(server.pid!);

const rows: Row[] = [];
const counts = quick ? [1, 50] : [1, 50, 200, 400];
for (const n of counts) rows.push(await pass('ws v1', 'ws', n));
for (const n of counts.filter((n) => n <= 200)) rows.push(await pass('mjpeg', 'mjpeg', n));
rows.push(await pass('ws v1 + 1 slow', 'ws', quick ? 50 : 400, 300 * 1024));
rows.push(await pass('mjpeg + 1 slow', 'mjpeg', quick ? 50 : 200, 300 * 1024));

/**
 * The player's targets in Chromium on this machine: what the web viewer promises, per decoding path
 * (capture-to-display: JPEG and WebCodecs draw on a canvas; MSE plays a short live buffer).
 */
const PLAYER_PATHS = [
  { path: 'jpeg', fps: 25, latencyMs: 100 },
  { path: 'webcodecs', fps: 25, latencyMs: 100 },
  { path: 'mse', fps: 25, latencyMs: 300 },
] as const;

/** bench/player.ts as its own process: the browser's CPU is not the benchmark's. */
async function playerPass(path: PlayerPlan['path']): Promise<PlayerResult> {
  const url = `http://127.0.0.1:${port}`;
  const plan: PlayerPlan = { url, camera: 'bench', warmupMs: WARMUP_MS, measureMs: MEASURE_MS, path };
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/player.ts'), JSON.stringify(plan)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  if (code !== 0) throw new Error(`bench/player.ts exited with ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`);
  return JSON.parse(out) as PlayerResult;
}

const playerLines: string[] = [];
for (const target of PLAYER_PATHS) {
  try {
    const p = await playerPass(target.path);
    const met = p.fps >= target.fps && p.latencyP50 < target.latencyMs;
    playerLines.push(
      `player ${target.path} (headless Chromium, single view, ${p.width}x${p.height} ${p.codec ?? '?'} ` +
        `over ${p.transport}, path ${p.path ?? '-'}): ` +
        `${f1(p.fps)} fps displayed (player's own ${p.playerFps === null ? '-' : f1(p.playerFps)}), ` +
        `capture-to-display latency p50 ${f1(p.latencyP50)} ms, max ${f1(p.latencyMax)} ms, ${p.dropped} dropped; ` +
        `targets ≥ ${target.fps} fps and < ${target.latencyMs} ms: ${met ? 'met' : 'MISSED'}`,
    );
  } catch (err) {
    playerLines.push(`player ${target.path} (headless Chromium): not measured: ${(err as Error).message}`);
  }
}
server.child.kill('SIGTERM');

const lines = [
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; frames 1280x720, ${frameKb.toFixed(0)} KB average, 30 fps; ${MEASURE_MS / 1000} s measured per pass after ${WARMUP_MS / 1000} s warm-up`,
  '',
  `idle (no viewers, camera not captured): server CPU ${(idleCpu * 100).toFixed(2)} % of a core, RSS ${idleRss.toFixed(0)} MB`,
  '',
  '| pass | viewers | fps min | fps median | latency p50 ms | latency p99 ms | server CPU (cores) | server RSS MB (start → max) | failed | slow viewer |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ...rows.map(
    (r) =>
      `| ${r.pass} | ${r.viewers} | ${f1(r.fpsMin)} | ${f1(r.fpsMedian)} | ${f1(r.p50)} | ${f1(r.p99)} | ${r.cpu.toFixed(2)} | ${r.rssStart.toFixed(0)} → ${r.rssMax.toFixed(0)} | ${r.failed} | ${r.slow ?? ''} |`,
  ),
  '',
  ...playerLines,
];
console.log(lines.join('\n'));
process.exit(0);
