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
 * H.264 passes: the same camera to viewers that ask `?codec=h264` (camrelay encodes it once, with
 * libx264), side by side with the JPEG passes of the same run: bytes per viewer, frame rate, the
 * server's CPU with and without its encoder child (each from /proc), the encoder's CPU at 1 and at
 * N viewers, and the time a new viewer of a warm camera waits for its config and first keyframe.
 * The same pictures from a camera that sends H.264 itself (a `file:` MP4, passed through) to the
 * same viewers: camrelay's CPU with its ffmpeg children against the JPEG camera's.
 * Floor passes: the same load against bench/floor-server.ts (the least a fan-out server can do,
 * fed the same units), for camrelay's CPU per viewer as a ratio to the floor's, in alternating
 * rounds (camrelay, floor, camrelay, …) whose medians are compared: the machine is shared.
 *
 * The media clock's passes (bench/media-clock.ts): the pipe that carries cameras' timestamps against the
 * old one, in CPU and in the recorded frames' timing.
 *
 * A last phase opens the player in headless Chromium (bench/player.ts) and reports the frames
 * it displays per second and its capture-to-display latency against their targets.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { portOf } from '../test/support/ports.js';
import { startCamrelay } from '../test/support/process.js';
import { WebSocket } from 'ws';
import type { FloorPlan } from './floor-server.js';
import type { LoadPlan, LoadResult } from './load.js';
import { makeClip, makeH264Clip } from './clip.js';
import { runNetnsPasses } from './netns-h264.js';
import { runRecordingPasses } from './recording.js';
import { runMotionPasses } from './motion.js';
import { runMediaClockPasses } from './media-clock.js';
import { runAudioPasses } from './av-sync.js';
import { runRelayPasses } from './netns-relay.js';
import { runClusterPasses } from './cluster.js';
import { runAdaptPasses } from './netns-adapt.js';
import { runRtspPasses } from './rtsp.js';
import type { PlayerPlan, PlayerResult } from './player-plan.js';
import { lastLine, runBenchFile, startBenchFile, waitForOutput } from './bench-child.js';

const ROOT = join(import.meta.dirname, '..');
const quick = !!process.env.BENCH_QUICK;
const WARMUP_MS = quick ? 2000 : 3000;
const MEASURE_MS = quick ? 4000 : 10_000;
const FRAMES = 90;

const dir = mkdtempSync(join(tmpdir(), 'camrelay-bench-'));
const clip = join(dir, 'frames.mjpeg');
makeClip(clip, FRAMES);
const frameKb = statSync(clip).size / FRAMES / 1024;
const h264Clip = join(dir, 'frames.mp4');
// Longer than its two passes, so that no loop (ffmpeg's -stream_loop) falls in them; at the bitrate camrelay's encoder would use.
makeH264Clip(h264Clip, 60, 2400);

const config = join(dir, 'bench.yaml');
// On demand (not always_on), so the idle phase below measures a server with nothing to do.
// Limits raised: the load generator opens hundreds of viewers from one address.
writeFileSync(
  config,
  `log: { level: warn }\n` +
    `limits: { connections_per_address: 2000, viewers_per_camera: 2000, viewers_total: 4000 }\n` +
    `cameras:\n  - { id: bench, source: "file:${clip}?fps=30", idle_grace: 5, encoder: libx264 }\n` +
    // The same pictures as a camera's own H.264: passed through, nothing encoded.
    `  - { id: benchh264, source: "file:${h264Clip}", idle_grace: 5 }\n`,
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
/** The server's child processes (its ffmpegs). */
function childPids(serverPid: number): number[] {
  const children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${serverPid}/task`)) {
      const text = readFileSync(`/proc/${serverPid}/task/${task}/children`, 'utf8').trim();
      if (text) children.push(...text.split(' ').map(Number));
    }
  } catch {
    // the server is gone
  }
  return children;
}
/** CPU seconds of each of the server's children, by pid. */
function childrenCpu(serverPid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of childPids(serverPid)) {
    try {
      out.set(pid, cpuSeconds(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
/** The encoder ffmpeg among the server's children (the one whose arguments name an H.264 encoder), if any. */
function encoderPid(serverPid: number): number | undefined {
  for (const pid of childPids(serverPid)) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (args.some((a, i) => a === '-c:v' && /^(libx264|h264_)/.test(args[i + 1] ?? ''))) return pid;
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
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
  codec: 'jpeg' | 'h264';
  viewers: number;
  fpsMin: number;
  fpsMedian: number;
  p50: number;
  p99: number;
  cpu: number;
  /** The encoder child's CPU over the same window (cores); undefined when none ran throughout. */
  encoderCpu?: number;
  /** All the server's children (its ffmpegs) that ran through the window, CPU in cores. */
  childrenCpu: number;
  /** Median bytes per second per viewer. */
  bytesPerSecond: number;
  rssStart: number;
  rssMax: number;
  failed: number;
  slow?: string;
}

interface PassOptions {
  slowBytesPerSecond?: number;
  codec?: 'jpeg' | 'h264';
  /** Another server than camrelay (the floor): its port and pid. */
  target?: { port: number; pid: number };
  /** camrelay's camera (default `bench`). */
  camera?: string;
}

async function pass(
  name: string,
  protocol: 'ws' | 'mjpeg',
  viewers: number,
  { slowBytesPerSecond = 0, codec = 'jpeg', target, camera = 'bench' }: PassOptions = {},
): Promise<Row> {
  const plan: LoadPlan = {
    port: target?.port ?? port,
    camera,
    protocol,
    codec,
    viewers,
    warmupMs: WARMUP_MS,
    measureMs: MEASURE_MS,
    slowBytesPerSecond,
  };
  const pid = target?.pid ?? server.pid!;
  const load = startBenchFile('load.ts', [JSON.stringify(plan)], { stderr: 'inherit' });
  const rssStart = rssMb(pid);
  await new Promise((r) => setTimeout(r, WARMUP_MS + 200));
  const encoder0 = target ? undefined : encoderPid(pid);
  const encoderCpu0 = encoder0 === undefined ? 0 : cpuSeconds(encoder0);
  const children0 = target ? new Map<number, number>() : childrenCpu(pid);
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  let rssMax = rssMb(pid);
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssMb(pid))), 250);
  await new Promise((r) => setTimeout(r, MEASURE_MS - 400));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = (cpuSeconds(pid) - cpu0) / elapsed;
  let children = 0;
  for (const [child, after] of target ? [] : childrenCpu(pid)) {
    const before = children0.get(child);
    if (before !== undefined) children += (after - before) / elapsed;
  }
  // The encoder's CPU, when the same encoder process ran through the whole window.
  const encoderCpu =
    encoder0 !== undefined && encoderPid(pid) === encoder0 ? (cpuSeconds(encoder0) - encoderCpu0) / elapsed : undefined;
  const { out } = await load.done;
  clearInterval(sampler);
  const result = JSON.parse(out) as LoadResult;
  const fps = [...result.fps].sort((a, b) => a - b);
  const lat = result.latencies.sort((a, b) => a - b);
  // Let the server settle between passes (closed sockets, GC).
  await new Promise((r) => setTimeout(r, 1500));
  const bps = [...result.bytesPerSecond].sort((a, b) => a - b);
  return {
    pass: name,
    codec,
    viewers,
    fpsMin: fps[0] ?? 0,
    fpsMedian: percentile(fps, 50),
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    cpu,
    ...(encoderCpu === undefined ? {} : { encoderCpu }),
    childrenCpu: children,
    bytesPerSecond: percentile(bps, 50),
    rssStart,
    rssMax,
    failed: result.failed,
    slow: result.slow
      ? `${(result.slow.bytesPerSecond / 1024).toFixed(0)} KB/s, ${result.slow.fps.toFixed(1)} fps`
      : undefined,
  };
}

const f1 = (n: number) => n.toFixed(1);
const kbps = (bytesPerSecond: number) => ((bytesPerSecond * 8) / 1000).toFixed(0);
const met = (ok: boolean) => (ok ? 'met' : 'MISSED');

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** camrelay's CPU per added viewer as a ratio to the floor's, per round and the median of the rounds. */
function floorLine({ codec, one, floorOne, rounds }: FloorRounds): string {
  // Per added viewer: (CPU at N - CPU at 1) / (N - 1), ms of CPU per second; the fixed costs cancel.
  const perViewer = (a: Row, b: Row) => ((b.cpu - a.cpu) / (top - 1)) * 1000;
  const ratios = rounds.map((r) => perViewer(one, r.camrelay) / perViewer(floorOne, r.floor));
  const ratio = median(ratios);
  const cores = rounds.map((r) => `${r.camrelay.cpu.toFixed(2)}/${r.floor.cpu.toFixed(2)}`).join(', ');
  return (
    `CPU per viewer, ${top} ${codec === 'h264' ? 'H.264' : 'JPEG'} viewers (per added viewer, server process` +
    `${codec === 'h264' ? ', camrelay without its encoder' : ''}), ${rounds.length} alternating rounds: ` +
    `camrelay ${median(rounds.map((r) => perViewer(one, r.camrelay))).toFixed(3)} ms/s, ` +
    `floor ${median(rounds.map((r) => perViewer(floorOne, r.floor))).toFixed(3)} ms/s (medians); ` +
    `ratio per round ${ratios.map((r) => r.toFixed(2)).join(', ')} (cores camrelay/floor: ${cores}); ` +
    `median ${ratio.toFixed(2)}× the floor; target ≤ 1.1×: ${met(ratio <= 1.1)}`
  );
}

/** The H.264 targets, from the rows of this run. */
function h264Lines(): string[] {
  const jpeg1 = find('ws v1', 1);
  const h1 = find('ws h264', 1);
  const jpegTop = find('ws v1', top);
  const hTop = find('ws h264', top);
  const lines: string[] = [];
  if (jpeg1 && h1) {
    const ratio = h1.bytesPerSecond / jpeg1.bytesPerSecond;
    lines.push(
      `bytes per viewer (1 viewer, 1280x720 30 fps): JPEG ${kbps(jpeg1.bytesPerSecond)} kbit/s, ` +
        `H.264 ${kbps(h1.bytesPerSecond)} kbit/s, ratio 1/${(1 / ratio).toFixed(1)}; ` +
        `target ≤ 1/5: ${met(ratio <= 0.2)}`,
    );
  }
  const ownTop = find("ws h264 (camera's own)", top);
  if (jpegTop && hTop && ownTop) {
    // Medians over the table's pass and the alternating rounds: the same load, measured ROUNDS + 1 times.
    const jpegRows = [jpegTop, ...floorJpeg.rounds.map((r) => r.camrelay)];
    const hRows = [hTop, ...floorH264.rounds.map((r) => r.camrelay)];
    const cpu = (list: Row[]) => median(list.map((r) => r.cpu));
    const whole = (list: Row[]) => median(list.map((r) => r.cpu + r.childrenCpu));
    const fpsMin = Math.min(...hRows.map((r) => r.fpsMin), ownTop.fpsMin);
    lines.push(
      `${top} viewers: H.264 fps min ${f1(fpsMin)} against JPEG's median ${f1(jpegTop.fpsMedian)} ` +
        `(target within 5 %: ${met(fpsMin >= 0.95 * jpegTop.fpsMedian)}); server process CPU, median of ` +
        `${hRows.length} runs: JPEG ${cpu(jpegRows).toFixed(2)}, H.264 ${cpu(hRows).toFixed(2)} without its encoder, ` +
        `H.264 passed through ${ownTop.cpu.toFixed(2)} (cores; target no higher: ` +
        `${met(cpu(hRows) <= cpu(jpegRows) && ownTop.cpu <= cpu(jpegRows))})`,
    );
    lines.push(
      `${top} viewers, camrelay with its ffmpeg children (cores): a JPEG camera to JPEG viewers ` +
        `${whole(jpegRows).toFixed(2)}; an H.264 camera passed through to H.264 viewers ` +
        `${whole([ownTop]).toFixed(2)} (target no higher: ${met(whole([ownTop]) <= whole(jpegRows))}); ` +
        `the JPEG camera encoded to H.264 by libx264 on this CPU ${whole(hRows).toFixed(2)} ` +
        `(${met(whole(hRows) <= whole(jpegRows))}: the encoder's cost, not the viewers')`,
    );
    const ones = [find('ws h264', 1), ...floorH264.rounds.map((r) => r.camrelayOne)];
    const atOne = ones.flatMap((r) => (r?.encoderCpu === undefined ? [] : [r.encoderCpu]));
    const atTop = hRows.flatMap((r) => (r.encoderCpu === undefined ? [] : [r.encoderCpu]));
    if (atOne.length && atTop.length) {
      const change = median(atTop) / median(atOne) - 1;
      lines.push(
        `encoder (libx264 child) CPU, medians of ${atOne.length} and ${atTop.length} runs: ` +
          `${median(atOne).toFixed(2)} cores at 1 H.264 viewer, ${median(atTop).toFixed(2)} at ${top} ` +
          `(${change >= 0 ? '+' : ''}${(change * 100).toFixed(0)} %; runs at 1: ` +
          `${atOne.map((c) => c.toFixed(2)).join(', ')}; at ${top}: ${atTop.map((c) => c.toFixed(2)).join(', ')}); ` +
          `target the same (±10 %): ${met(Math.abs(change) <= 0.1)}`,
      );
    }
  }
  const keys = [...(first.firstKeyframeMs ?? [])].sort((a, b) => a - b);
  const configs = [...(first.firstConfigMs ?? [])].sort((a, b) => a - b);
  lines.push(
    `first picture, new H.264 viewer of a warm camera (${keys.length} tries, ${first.failed} failed, ` +
      `${first.notKeyframeFirst ?? 0} not starting at a keyframe): config p50 ${f1(percentile(configs, 50))} ms, ` +
      `first keyframe p50 ${f1(percentile(keys, 50))} ms, max ${f1(keys.at(-1) ?? NaN)} ms; target ≤ 300 ms: ` +
      `${met(keys.length > 0 && (keys.at(-1) ?? Infinity) <= 300 && !first.failed)}`,
  );
  for (const f of [floorJpeg, floorH264]) lines.push(floorLine(f));
  lines.push(
    `(H.264 units replayed by the floor: ${recorded.units} recorded from camrelay's encoder, ` +
      `${recorded.keyframes} keyframes)`,
  );
  return lines;
}

// Idle: no viewer, so no capture; the server should use no measurable CPU (once start-up is over).
await new Promise((r) => setTimeout(r, 5000));
const idleCpu0 = cpuSeconds(server.pid!);
const idleT0 = performance.now();
await new Promise((r) => setTimeout(r, quick ? 3000 : 10_000));
const idleCpu = (cpuSeconds(server.pid!) - idleCpu0) / ((performance.now() - idleT0) / 1000);
const idleRss = rssMb(server.pid!);

/** bench/floor-server.ts as its own process, until `run` is done with it. */
async function withFloor<T>(plan: FloorPlan, run: (target: { port: number; pid: number }) => Promise<T>): Promise<T> {
  const floor = startBenchFile('floor-server.ts', [JSON.stringify(plan)], { stderr: 'inherit' });
  try {
    const floorPort = Number((await waitForOutput(floor, /listening (\d+)/))[1]);
    return await run({ port: floorPort, pid: floor.child.pid! });
  } finally {
    floor.child.kill('SIGTERM');
  }
}

/**
 * Records what camrelay's encoder makes, for the floor to replay: the config message, then
 * whole groups of pictures (from a keyframe to the unit before a later keyframe).
 */
async function recordH264(file: string, gops: number): Promise<{ units: number; keyframes: number }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/cameras/bench/ws?codec=h264`);
  let config = '';
  const units: { keyframe: boolean; data: Buffer }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no H.264 from camrelay within 20 s')), 20_000);
    let keyframes = 0;
    ws.on('error', reject);
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) {
        const text = data.toString();
        if (text.includes('"config"')) config = text;
        return;
      }
      ws.send(JSON.stringify({ type: 'ack', seq: data.readUInt32BE(4) }));
      const keyframe = (data[2]! & 1) === 1;
      // Skip the catch-up GOP (sent at once, not paced): record live units from the next keyframe on.
      if (keyframe) keyframes++;
      if (keyframes < 2) return;
      if (keyframe && keyframes === gops + 2) {
        clearTimeout(timer);
        resolve();
        return;
      }
      units.push({ keyframe, data: Buffer.from(data.subarray(data[3]!)) });
    });
  });
  ws.close();
  const head = Buffer.alloc(4);
  head.writeUInt32BE(Buffer.byteLength(config));
  const parts: Buffer[] = [head, Buffer.from(config)];
  for (const u of units) {
    const h = Buffer.alloc(5);
    h[0] = u.keyframe ? 1 : 0;
    h.writeUInt32BE(u.data.length, 1);
    parts.push(h, u.data);
  }
  writeFileSync(file, Buffer.concat(parts));
  return { units: units.length, keyframes: units.filter((u) => u.keyframe).length };
}

/** A new H.264 viewer of a warm camera: ms to its config and to its first keyframe, over `tries` viewers. */
async function firstPicturePass(tries: number): Promise<LoadResult> {
  const plan: LoadPlan = {
    port,
    camera: 'bench',
    protocol: 'first-picture',
    codec: 'h264',
    viewers: 0,
    tries,
    warmupMs: WARMUP_MS,
    measureMs: 0,
    slowBytesPerSecond: 0,
  };
  const { out } = await runBenchFile('load.ts', [JSON.stringify(plan)], { stderr: 'inherit' });
  return JSON.parse(out) as LoadResult;
}

const rows: Row[] = [];
const counts = quick ? [1, 50] : [1, 50, 200, 400];
const top = counts.at(-1)!;
for (const n of counts) rows.push(await pass('ws v1', 'ws', n));
const h264Counts = quick ? [1, 50] : [1, 400];
for (const n of h264Counts) rows.push(await pass('ws h264', 'ws', n, { codec: 'h264' }));
// A camera that sends H.264 itself: passed through to the same number of viewers, nothing encoded.
for (const n of h264Counts)
  rows.push(await pass("ws h264 (camera's own)", 'ws', n, { codec: 'h264', camera: 'benchh264' }));

/**
 * camrelay against the floor at the top count, for the CPU per viewer: the machine is shared and a
 * 10 s window drifts by a tenth either way, so each side is measured ROUNDS times, alternately,
 * and the ratio taken from each pair (camrelay's round, then the floor's).
 */
const ROUNDS = quick ? 1 : 3;
interface FloorRounds {
  codec: 'jpeg' | 'h264';
  one: Row;
  floorOne: Row;
  /** camrelay at the top count, the floor at the top count; for H.264, camrelay at 1 too (its encoder's CPU). */
  rounds: { camrelay: Row; floor: Row; camrelayOne?: Row }[];
}
async function floorRounds(codec: 'jpeg' | 'h264', plan: FloorPlan, one: Row): Promise<FloorRounds> {
  const name = `floor ws (${codec})`;
  return withFloor(plan, async (target) => {
    const floorOne = await pass(name, 'ws', 1, { codec, target });
    const rounds: FloorRounds['rounds'] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const camrelayName = codec === 'h264' ? 'ws h264' : 'ws v1';
      const camrelayOne = codec === 'h264' ? await pass(camrelayName, 'ws', 1, { codec }) : undefined;
      const camrelay = await pass(camrelayName, 'ws', top, { codec });
      const floor = await pass(name, 'ws', top, { codec, target });
      rounds.push({ camrelay, floor, ...(camrelayOne ? { camrelayOne } : {}) });
    }
    rows.push(floorOne, rounds[0]!.floor);
    return { codec, one, floorOne, rounds };
  });
}
const find = (pass: string, n: number) => rows.find((r) => r.pass === pass && r.viewers === n);
const floorJpeg = await floorRounds('jpeg', { codec: 'jpeg', clip, fps: 30 }, find('ws v1', 1)!);
const unitsFile = join(dir, 'units.bin');
const recorded = await recordH264(unitsFile, 3);
const floorH264 = await floorRounds('h264', { codec: 'h264', units: unitsFile, fps: 30 }, find('ws h264', 1)!);
const first = await firstPicturePass(20);
for (const n of counts.filter((n) => n <= 200)) rows.push(await pass('mjpeg', 'mjpeg', n));
rows.push(await pass('ws v1 + 1 slow', 'ws', quick ? 50 : 400, { slowBytesPerSecond: 300 * 1024 }));
rows.push(await pass('mjpeg + 1 slow', 'mjpeg', quick ? 50 : 200, { slowBytesPerSecond: 300 * 1024 }));

/** Lines after the table from passes in other modules (the network-namespace passes). */
const netnsLines: string[] = [];
// netns passes: the 4 Mbit/s link in network namespaces (bench/netns-h264.ts)
netnsLines.push(...(await runNetnsPasses({ root: ROOT, clip, quick, warmupMs: WARMUP_MS, measureMs: MEASURE_MS })));
// the relay's uplink of 4 Mbit/s, H.264 and JPEG (bench/netns-relay.ts)
netnsLines.push(...(await runRelayPasses({ root: ROOT, clip, quick, warmupMs: WARMUP_MS, measureMs: MEASURE_MS })));
// per-viewer quality: 1 Mbit/s, 256 kbit/s and 8 → 1 → 8 Mbit/s links beside 100 local viewers (bench/netns-adapt.ts)
netnsLines.push(...(await runAdaptPasses({ root: ROOT, clip, quick })));
// RTSP: 100 TCP clients against ws H.264 viewers, a client behind 2 Mbit/s, the first picture (bench/rtsp.ts)
netnsLines.push('', ...(await runRtspPasses({ root: ROOT, quick })));
// several hubs over NATS: viewers on three hubs of one camera, the bus traffic, edge failover (bench/cluster.ts)
netnsLines.push(
  '',
  ...(await runClusterPasses({ root: ROOT, clip, quick, warmupMs: WARMUP_MS, measureMs: MEASURE_MS })),
);
// recording: its CPU per passthrough H.264 camera (off vs on), 16 recorded cameras, bytes on disk (bench/recording.ts)
netnsLines.push('', ...(await runRecordingPasses({ quick, warmupMs: WARMUP_MS, measureMs: MEASURE_MS })));
// motion detection: the test clips scored, the detector's CPU per 720p camera with and without a sub-stream, 16 cameras (bench/motion.ts)
netnsLines.push('', ...(await runMotionPasses({ quick, warmupMs: WARMUP_MS, measureMs: MEASURE_MS })));
netnsLines.push('', ...(await runMediaClockPasses({ quick })));
// audio: the A/V offset of an export of the sync fixture, the CPU of a camera's audio (bench/av-sync.ts)
netnsLines.push('', ...(await runAudioPasses({ quick })));
// playback: 24 h of recording, the ranges query, the first picture at a random point, a 10-minute export
// (bench/playback.ts, its own process: it builds its own store and server)
netnsLines.push('', ...(await reportPass('playback.ts', 'PLAYBACK_BENCH_QUICK')));
// events: event start → MQTT ON at a subscriber, and the pre-roll's memory (bench/events.ts, its own process)
netnsLines.push('', ...(await reportPass('events.ts', 'EVENTS_BENCH_QUICK')));
// events across the relay: an idle edge's uplink per day and the pre-roll from its buffer (bench/edge-events.ts)
netnsLines.push('', ...(await reportPass('edge-events.ts', 'EDGE_EVENTS_BENCH_QUICK')));
// audio in Chromium: the A/V offset the player's WebCodecs and MSE paths give the sync fixture (bench/av-sync-browser.ts, its own process)
netnsLines.push('', ...(await avBrowserPass()));

async function avBrowserPass(): Promise<string[]> {
  // Seconds per path (two paths): 36 s in all, 16 s quick. The 10-minute drift runs are by hand (docs/benchmarks.md).
  const { code, out, err } = await runBenchFile('av-sync-browser.ts', [quick ? '8' : '18']);
  if (code !== 0) return [`av-sync-browser: exited with ${code}: ${lastLine(err)}`];
  return out
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => `A/V offset in Chromium (sync fixture): ${line}`);
}

/** A bench file that prints its own report lines, shorter with `quickEnv` set when the run is quick. */
async function reportPass(file: string, quickEnv: string): Promise<string[]> {
  const { code, out, err } = await runBenchFile(file, [], { env: quick ? { [quickEnv]: '1' } : {} });
  if (code !== 0) return [`bench/${file} exited with ${code}: ${lastLine(err)}`];
  return out.trimEnd().split('\n');
}

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
  const { code, out, err } = await runBenchFile('player.ts', [JSON.stringify(plan)]);
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
  '| pass | viewers | fps min | fps median | latency p50 ms | latency p99 ms | kbit/s per viewer ' +
    '| server CPU (cores) | encoder CPU (cores) | all ffmpeg children CPU (cores) | server RSS MB (start → max) | failed | slow viewer |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ...rows.map(
    (r) =>
      `| ${r.pass} | ${r.viewers} | ${f1(r.fpsMin)} | ${f1(r.fpsMedian)} | ${f1(r.p50)} | ${f1(r.p99)} ` +
      `| ${kbps(r.bytesPerSecond)} | ${r.cpu.toFixed(2)} | ${r.encoderCpu?.toFixed(2) ?? ''} ` +
      `| ${r.pass.startsWith('floor') ? '' : r.childrenCpu.toFixed(2)} ` +
      `| ${r.rssStart.toFixed(0)} → ${r.rssMax.toFixed(0)} | ${r.failed} | ${r.slow ?? ''} |`,
  ),
  '',
  ...h264Lines(),
  ...(netnsLines.length ? ['', ...netnsLines] : []),
  '',
  ...playerLines,
];
console.log(lines.join('\n'));
process.exit(0);
