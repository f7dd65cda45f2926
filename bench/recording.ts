/**
 * Recording passes: what continuous recording costs the server. A passthrough H.264 camera at
 * 1280x720 30 fps (a `file:` source copying an H.264 clip, never decoded), measured with recording
 * off and then on in the same run (the server process's CPU, not its ffmpeg children's: they are
 * the same either way); 16 such cameras recorded at once (server CPU and RSS); and bytes on disk
 * against the stream's bytes (the MP4 framing's overhead).
 *
 *   node --import tsx bench/recording.ts     # alone; `npm run bench` runs it too
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCamrelay } from '../test/support/process.js';
import { makeH264Clip } from './clip.js';

export interface RecordingPassOptions {
  quick: boolean;
  warmupMs: number;
  measureMs: number;
}

const TICK = 100;

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(path));
    else if (e.name.endsWith('.mp4')) out.push(path);
  }
  return out;
}

interface Measured {
  cpu: number;
  rssMax: number;
  /** h264 track bytes per camera, summed, at the end. */
  streamBytes: number;
  /** Bytes of the segment files (after a clean stop). */
  diskBytes: number;
}

async function measure(
  dir: string,
  clip: string,
  cameras: number,
  record: boolean,
  { warmupMs, measureMs }: RecordingPassOptions,
): Promise<Measured> {
  const root = join(dir, `rec-${cameras}-${record}`);
  const config = join(dir, `bench-${cameras}-${record}.yaml`);
  const list = Array.from(
    { length: cameras },
    (_, i) => `  - { id: cam${i}, source: "file:${clip}", always_on: true, record: ${record} }`,
  );
  writeFileSync(
    config,
    `log: { level: warn }\nrecordings: { path: ${root}, segment_duration: 10, min_free: 0 }\n` +
      `cameras:\n${list.join('\n')}\n`,
  );
  const { proc, url } = await startCamrelay(['serve', '--config', config, '--port', '0'], { timeoutMs: 30_000 });
  try {
    await new Promise((r) => setTimeout(r, warmupMs));
    const pid = proc.pid;
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    let rssMax = rssMb(pid);
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssMb(pid))), 250);
    await new Promise((r) => setTimeout(r, measureMs));
    clearInterval(sampler);
    const cpu = (cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000);
    let streamBytes = 0;
    for (let i = 0; i < cameras; i++) {
      const body = (await (await fetch(`${url}api/cameras/cam${i}`)).json()) as {
        tracks: { codec: string; bytes: number }[];
      };
      streamBytes += body.tracks.find((t) => t.codec === 'h264')?.bytes ?? 0;
    }
    await proc.stop();
    let diskBytes = 0;
    if (record) for (const f of filesUnder(root)) diskBytes += statSync(f).size;
    return { cpu, rssMax, streamBytes, diskBytes };
  } finally {
    await proc.stop('SIGKILL');
  }
}

/** The passes; their lines for the report. */
export async function runRecordingPasses(options: RecordingPassOptions): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-bench-rec-'));
  try {
    const clip = join(dir, 'clip.mp4');
    makeH264Clip(clip, options.quick ? 10 : 30);
    const off = await measure(dir, clip, 1, false, options);
    const on = await measure(dir, clip, 1, true, options);
    const manyOff = await measure(dir, clip, 16, false, options);
    const many = await measure(dir, clip, 16, true, options);
    const pct = (cores: number) => `${(cores * 100).toFixed(1)} %`;
    const ratio = (m: Measured) => `${((m.diskBytes / m.streamBytes) * 100).toFixed(1)} %`;
    const mbit = (on.streamBytes * 8) / 1e6;
    return [
      `recording (passthrough H.264 1280x720 30 fps, ~3 Mbit/s; ${options.measureMs / 1000} s measured):`,
      `- 1 camera, server CPU: recording off ${pct(off.cpu)} of a core, on ${pct(on.cpu)}: ` +
        `recording costs ${pct(on.cpu - off.cpu)} of a core; ` +
        `RSS max ${off.rssMax.toFixed(0)} → ${on.rssMax.toFixed(0)} MB`,
      `- 16 cameras recorded: server CPU ${pct(many.cpu)} of a core, RSS max ${many.rssMax.toFixed(0)} MB ` +
        `(the same 16 not recorded: ${pct(manyOff.cpu)}, ${manyOff.rssMax.toFixed(0)} MB)`,
      `- bytes on disk / stream bytes: ${ratio(on)} (1 camera, ${mbit.toFixed(0)} Mbit of stream), ` +
        `${ratio(many)} (16 cameras)`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = !!process.env.BENCH_QUICK;
  const lines = await runRecordingPasses({ quick, warmupMs: quick ? 2000 : 5000, measureMs: quick ? 5000 : 20_000 });
  console.log(lines.join('\n'));
}
