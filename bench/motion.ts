/**
 * Motion detection's benchmark (docs/benchmarks.md, "Motion detection"):
 * 1. every test clip (test/support/motion-clips.ts) scored against its ground truth: each object event
 *    found within 1 s of its start (recall 100 %), no event from a distractor clip;
 * 2. the detector's CPU (its decoder ffmpeg, from /proc, and the analysis, from /metrics) per 1280x720
 *    30 fps H.264 camera, analysing its own 640x360 sub-stream and analysing its main stream, side by
 *    side in one server; targets ≤ 3 % and ≤ 10 % of a core;
 * 3. 16 such cameras (with their sub-streams) detecting at once: the detectors' CPU and the whole
 *    server's (its process and every ffmpeg it runs).
 * The server is the built one (dist/: `npm run build` first, as `npm run bench` does).
 *
 *   node --import tsx bench/motion.ts     # alone; `npm run bench` runs it too
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateFfmpeg } from '../src/ffmpeg/locate.js';
import { ensureMotionClips } from '../test/support/motion-clips.js';
import { scoreClip } from '../test/support/motion-score.js';
import { startCamrelay } from '../test/support/process.js';
import { makeH264Clip } from './clip.js';

export interface MotionPassOptions {
  quick: boolean;
  warmupMs: number;
  measureMs: number;
}

const TICK = 100;

function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICK;
  } catch {
    return 0;
  }
}

/** Pids of the processes whose parent is `parent`. */
function children(parent: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

/** The server's own CPU and its children's (their pids read now: a child may come or go between two reads). */
function treeCpu(pid: number): number {
  return cpuSeconds(pid) + children(pid).reduce((sum, child) => sum + cpuSeconds(child), 0);
}

/** camrelay_motion_cpu_seconds_total and frames analysed, per camera and part. */
async function motionMetrics(url: string): Promise<Map<string, { decoder: number; analysis: number; frames: number }>> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  const out = new Map<string, { decoder: number; analysis: number; frames: number }>();
  const get = (camera: string) => {
    let m = out.get(camera);
    if (!m) out.set(camera, (m = { decoder: 0, analysis: 0, frames: 0 }));
    return m;
  };
  for (const m of text.matchAll(
    /camrelay_motion_cpu_seconds_total\{camera="([^"]+)",part="(decoder|analysis)"\} ([\d.e+-]+)/g,
  ))
    get(m[1]!)[m[2] as 'decoder' | 'analysis'] = Number(m[3]);
  for (const m of text.matchAll(/camrelay_motion_frames_analysed_total\{camera="([^"]+)"\} ([\d.e+-]+)/g))
    get(m[1]!).frames = Number(m[2]);
  return out;
}

/** A camera's own sub-stream: 640x360 at 15 fps, 512 kbit/s, a keyframe a second (a common camera default). */
function makeSubClip(path: string, seconds: number): void {
  execFileSync(locateFfmpeg().path, [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=15'],
    ...['-vf', 'noise=alls=8:allf=t', '-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast'],
    ...['-b:v', '512k', '-maxrate', '512k', '-bufsize', '512k', '-bf', '0', '-g', '15', '-pix_fmt', 'yuv420p', path],
  ]);
}

const pct = (seconds: number, ms: number): string => `${((seconds / (ms / 1000)) * 100).toFixed(1)} %`;

async function clipLines(): Promise<string[]> {
  const clips = await ensureMotionClips();
  const lines = ['motion clips (320x240, analysed at 5 fps; an event raised within 1 s of an object’s start):'];
  let expected = 0;
  let found = 0;
  let falseEvents = 0;
  let worst = 0;
  let ms = 0;
  let frames = 0;
  for (const clip of clips) {
    const s = await scoreClip(clip);
    expected += s.expected;
    found += s.found;
    falseEvents += s.falseEvents;
    ms += s.msPerFrame * s.frames;
    frames += s.frames;
    for (const d of s.delays) if (d !== undefined) worst = Math.max(worst, d);
    const what =
      s.kind === 'object'
        ? `found ${s.found}/${s.expected}, raised after ${s.delays.map((d) => (d === undefined ? 'missed' : `${d} ms`)).join(', ')}` +
          (s.zones.some((z) => z.length) ? `, zones ${s.zones.map((z) => z.join('+')).join(', ')}` : '')
        : `${s.events.length} events`;
    lines.push(
      `- ${clip.truth.name}: ${what}${s.falseEvents && s.kind === 'object' ? `, ${s.falseEvents} false` : ''}`,
    );
  }
  lines.push(
    `- recall ${found}/${expected} (${((found / Math.max(1, expected)) * 100).toFixed(0)} %), slowest ${worst} ms ` +
      `(target ≤ 1000), false events ${falseEvents} (target 0); analysis ${(ms / frames).toFixed(2)} ms of CPU a picture (320x240)`,
  );
  return lines;
}

export async function runMotionPasses(options: MotionPassOptions): Promise<string[]> {
  const lines = await clipLines();
  if (!existsSync(join(import.meta.dirname, '../dist/cli/main.js')))
    return [...lines, 'motion CPU: dist/ is missing (npm run build)'];
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-motion-bench-'));
  const main = join(dir, 'main.mp4');
  const sub = join(dir, 'sub.mp4');
  // Longer than a run, so that no loop of the file falls in the window.
  const seconds = Math.ceil((options.warmupMs + options.measureMs) / 1000) + 10;
  makeH264Clip(main, seconds, 3000);
  makeSubClip(sub, seconds);

  // One camera analysing its sub-stream, one its main stream, one not detecting (the same capture's cost, for scale).
  const config = join(dir, 'two.yaml');
  writeFileSync(
    config,
    'log: { level: warn }\nserver: { allow_anonymous: true }\n' +
      `recordings: { path: "${join(dir, 'recordings-two')}" }\ncameras:\n` +
      `  - { id: withsub, source: "file:${main}", substream: "file:${sub}", motion: true }\n` +
      `  - { id: mainonly, source: "file:${main}", motion: true }\n`,
  );
  const { proc: two, url: twoUrl } = await startCamrelay(['serve', '--config', config, '--port', '0'], {
    timeoutMs: 20_000,
  });
  try {
    await new Promise((r) => setTimeout(r, options.warmupMs));
    const before = await motionMetrics(twoUrl);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, options.measureMs));
    const after = await motionMetrics(twoUrl);
    const ms = performance.now() - t0;
    lines.push(
      '',
      `motion detector CPU per 1280x720 30 fps H.264 camera (~3 Mbit/s; ${Math.round(ms / 1000)} s measured):`,
    );
    for (const [id, label, target] of [
      ['withsub', 'analysing its own 640x360 15 fps sub-stream', 3],
      ['mainonly', 'analysing its main stream', 10],
    ] as const) {
      const a = after.get(id);
      const b = before.get(id);
      if (!a || !b) {
        lines.push(`- ${id}: no metrics`);
        continue;
      }
      const decoder = a.decoder - b.decoder;
      const analysis = a.analysis - b.analysis;
      const total = ((decoder + analysis) / (ms / 1000)) * 100;
      lines.push(
        `- ${label}: ${total.toFixed(1)} % of a core (decoder ${pct(decoder, ms)}, analysis ${pct(analysis, ms)}; ` +
          `${((a.frames - b.frames) / (ms / 1000)).toFixed(1)} pictures a second) — target ≤ ${target} %: ${total <= target ? 'met' : 'NOT met'}`,
      );
    }
  } finally {
    await two.stop();
  }

  // 16 cameras with their sub-streams, all detecting.
  const count = options.quick ? 8 : 16;
  const many = join(dir, 'many.yaml');
  writeFileSync(
    many,
    'log: { level: warn }\nserver: { allow_anonymous: true }\n' +
      `recordings: { path: "${join(dir, 'recordings-many')}" }\ncameras:\n` +
      Array.from(
        { length: count },
        (_, i) => `  - { id: cam${i}, source: "file:${main}", substream: "file:${sub}", motion: true }\n`,
      ).join(''),
  );
  const { proc: server, url: manyUrl } = await startCamrelay(['serve', '--config', many, '--port', '0'], {
    timeoutMs: 30_000,
  });
  try {
    const pid = server.child.pid!;
    await new Promise((r) => setTimeout(r, options.warmupMs));
    const before = await motionMetrics(manyUrl);
    const cpu0 = treeCpu(pid);
    const own0 = cpuSeconds(pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, options.measureMs));
    const ms = performance.now() - t0;
    const cpu1 = treeCpu(pid);
    const own1 = cpuSeconds(pid);
    const after = await motionMetrics(manyUrl);
    let detectors = 0;
    let frames = 0;
    for (const [id, a] of after) {
      const b = before.get(id);
      if (!b) continue;
      detectors += a.decoder - b.decoder + (a.analysis - b.analysis);
      frames += a.frames - b.frames;
    }
    lines.push(
      `- ${count} such cameras detecting on their sub-streams: detectors ${pct(detectors, ms)} of a core ` +
        `(${((detectors / count / (ms / 1000)) * 100).toFixed(1)} % each, ${(frames / (ms / 1000)).toFixed(0)} pictures a second); ` +
        `the whole server ${pct(cpu1 - cpu0, ms)} (its process ${pct(own1 - own0, ms)}, the rest its ffmpegs: ` +
        `${count * 2} captures copying H.264, ${count} decoders)`,
    );
  } finally {
    await server.stop();
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = !!process.env.BENCH_QUICK;
  const lines = await runMotionPasses({ quick, warmupMs: quick ? 3000 : 5000, measureMs: quick ? 6000 : 15_000 });
  console.log(lines.join('\n'));
}
