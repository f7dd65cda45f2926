/**
 * The 400-viewer latency tail on its own: 400 protocol-v1 JPEG viewers (window 2, every frame
 * acked) of the bench's 1280x720 30 fps camera, spread over two load processes (bench/load.ts) so
 * that the viewers' side is not one event loop, against camrelay and then against the floor
 * (bench/floor-server.ts) in the same run, alternating: camrelay, floor, camrelay, floor.
 *
 *   npm run build && node --import tsx bench/fanout-tail.ts
 *
 * Prints per pass the slowest and median frame rate, latency p50/p99/max (receipt minus the
 * header's capture time) and the server's CPU; the last line compares the p99s (target: camrelay
 * within 1.5× of the floor). `npm run bench` measures the same load from one process.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portOf } from '../test/support/ports.js';
import { startCamrelay } from '../test/support/process.js';
import { makeClip } from './clip.js';
import type { LoadPlan, LoadResult } from './load.js';
import { runBenchFile, startBenchFile, waitForOutput } from './bench-child.js';

const VIEWERS = Number(process.env.TAIL_VIEWERS ?? 400);
const LOADERS = 2;
const WARMUP_MS = 3000;
const MEASURE_MS = 10_000;
const ROUNDS = Number(process.env.TAIL_ROUNDS ?? 2);

const dir = mkdtempSync(join(tmpdir(), 'camrelay-tail-'));
const clip = join(dir, 'frames.mjpeg');
makeClip(clip, 90);
const config = join(dir, 'bench.yaml');
writeFileSync(
  config,
  `log: { level: warn }\n` +
    `limits: { connections_per_address: 2000, viewers_per_camera: 2000, viewers_total: 4000 }\n` +
    `cameras:\n  - { id: bench, source: "file:${clip}?fps=30", idle_grace: 5 }\n`,
);
const { proc: server, url } = await startCamrelay(['serve', '--config', config, '--port', '0'], { timeoutMs: 15_000 });
process.on('exit', () => server.child.kill('SIGKILL'));

const floor = startBenchFile('floor-server.ts', [JSON.stringify({ codec: 'jpeg', clip, fps: 30 })], {
  stderr: 'inherit',
});
process.on('exit', () => floor.child.kill('SIGKILL'));
const floorPort = Number((await waitForOutput(floor, /listening (\d+)/))[1]);

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function pass(name: string, port: number, pid: number): Promise<number> {
  const plan: LoadPlan = {
    port,
    camera: 'bench',
    protocol: 'ws',
    viewers: VIEWERS / LOADERS,
    warmupMs: WARMUP_MS,
    measureMs: MEASURE_MS,
    slowBytesPerSecond: 0,
  };
  const outs = Array.from({ length: LOADERS }, () =>
    runBenchFile('load.ts', [JSON.stringify(plan)], { stderr: 'inherit' }).then(
      ({ out }) => JSON.parse(out) as LoadResult,
    ),
  );
  await new Promise((r) => setTimeout(r, WARMUP_MS + 200));
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, MEASURE_MS - 400));
  const cpu = (cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000);
  const results = await Promise.all(outs);
  const fps = results.flatMap((r) => r.fps).sort((a, b) => a - b);
  const lat = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const p99 = pct(lat, 99);
  console.log(
    `${name}: ${VIEWERS} viewers in ${LOADERS} processes, fps min ${fps[0]?.toFixed(1)} median ${pct(fps, 50).toFixed(1)}, ` +
      `latency p50 ${pct(lat, 50).toFixed(1)} ms p99 ${p99.toFixed(1)} ms max ${lat.at(-1)?.toFixed(1)} ms, ` +
      `server CPU ${cpu.toFixed(2)} cores, failed ${failed}`,
  );
  await new Promise((r) => setTimeout(r, 1500));
  return p99;
}

const ratios: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const ours = await pass('camrelay', portOf(url), server.pid!);
  const bare = await pass('floor', floorPort, floor.child.pid!);
  ratios.push(ours / bare);
}
console.log(
  `p99 camrelay/floor per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}; target ≤ 1.5×: ` +
    `${ratios.every((r) => r <= 1.5) ? 'met' : 'MISSED'}`,
);
process.exit(0);
