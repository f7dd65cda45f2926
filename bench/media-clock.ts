/**
 * The media clock's targets (issue 20 §1), both sides in the same run: the pipe that carries the
 * camera's timestamps (ffmpeg → MPEG-TS → src/codec/mpegts) against the old one (packets in mpjpeg parts,
 * timed by their arrival; forced with an ffmpeg wrapper that refuses the `setts` probe, as a build without
 * it would).
 *
 * For each pipe, a real server (the built one, as `npm start` runs it):
 * - CPU: one RTSP camera (the GStreamer fixture, 640x480 30 fps H.264) passed through and recorded:
 *   the server's CPU plus its capture ffmpeg's, over MEASURE_MS;
 * - timing: the same RTSP camera and a camera camrelay encodes (`testsrc`, JPEG, its H.264 made by
 *   camrelay's encoder for the recorder), both at 30 fps, recorded ~16 s; each one's export from 5 s after
 *   the recording began (the steady state) read back:
 *   the frame-duration standard deviation as a % of the mean, ffprobe's r_frame_rate, and the frames a plain
 *   `ffmpeg -i export.mp4 out.mp4` keeps; the new pipe a second time with a busy loop per core beside it
 *   while it records (the machine loaded on purpose: a camera camrelay encodes is timed by its encoders'
 *   clocks, which load cannot bend).
 *
 *   node --import tsx bench/media-clock.ts     # alone; `npm run bench` runs it too
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCamrelay } from '../test/support/process.js';
import { startRtspCamera, type RtspCamera } from '../test/support/rtsp-camera.js';

export interface MediaClockPassOptions {
  quick: boolean;
}

const TICK = 100;

function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICK;
  } catch {
    return Number.NaN;
  }
}

function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (text) out.push(...text.split(' ').map(Number));
  }
  return out;
}

type Pipe = 'mpjpeg (old)' | 'mpegts (new)';

/** An ffmpeg that says it has no setts: the server falls back to the old framing. */
function oldFfmpeg(dir: string): string {
  const real = execFileSync('sh', ['-c', 'command -v ffmpeg']).toString().trim();
  const path = join(dir, 'ffmpeg');
  writeFileSync(path, `#!/bin/sh\ncase "$*" in *setts=pts=PTS*) exit 1;; esac\nexec ${real} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

async function server(dir: string, pipe: Pipe, yaml: string): Promise<Awaited<ReturnType<typeof startCamrelay>>> {
  const config = join(dir, `${pipe.slice(0, 6)}-${Date.now()}.yaml`);
  writeFileSync(config, `log: { level: warn }\n${yaml}`);
  const saved = process.env.FFMPEG_PATH;
  if (pipe === 'mpjpeg (old)') process.env.FFMPEG_PATH = oldFfmpeg(dir);
  try {
    return await startCamrelay(['serve', '--config', config, '--port', '0'], { timeoutMs: 20_000 });
  } finally {
    if (saved === undefined) delete process.env.FFMPEG_PATH;
    else process.env.FFMPEG_PATH = saved;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function cpuPass(dir: string, pipe: Pipe, cam: RtspCamera, measureMs: number): Promise<number> {
  const root = join(dir, `cpu-${pipe.slice(0, 6)}`);
  const { proc } = await server(
    dir,
    pipe,
    `recordings: { path: ${root} }\ncameras:\n  - { id: rtsp, source: "${cam.url}", record: true }\n`,
  );
  try {
    await sleep(4000); // the capture running, the first segment open
    const pid = proc.child.pid!;
    const children = childPids(pid);
    const at = () => cpuSeconds(pid) + children.reduce((sum, c) => sum + cpuSeconds(c), 0);
    const c0 = at();
    const t0 = performance.now();
    await sleep(measureMs);
    return (at() - c0) / ((performance.now() - t0) / 1000);
  } finally {
    await proc.stop('SIGKILL');
  }
}

interface Timing {
  frames: number;
  sdPct: number;
  rFrameRate: string;
  keptPct: number;
}

function ffprobe(args: string[]): string {
  return execFileSync('ffprobe', ['-v', 'error', ...args], { maxBuffer: 64 * 1024 * 1024 }).toString();
}

function timingOf(file: string, dir: string): Timing {
  const dts = ffprobe(['-select_streams', 'v:0', '-show_entries', 'packet=dts', '-of', 'csv=p=0', file])
    .trim()
    .split('\n')
    .map(Number)
    .filter(Number.isFinite);
  const durations = dts.slice(1).map((d, i) => d - dts[i]!);
  const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
  const sd = Math.sqrt(durations.reduce((a, d) => a + (d - mean) ** 2, 0) / durations.length);
  const stream = (path: string) =>
    (
      JSON.parse(
        ffprobe([
          ...['-count_frames', '-select_streams', 'v:0', '-of', 'json'],
          ...['-show_entries', 'stream=r_frame_rate,nb_read_frames', path],
        ]),
      ) as { streams: [{ r_frame_rate: string; nb_read_frames: string }] }
    ).streams[0];
  const info = stream(file);
  const out = join(dir, 'reencoded.mp4');
  execFileSync('ffmpeg', ['-hide_banner', '-v', 'error', '-y', '-i', file, out]);
  const kept = Number(stream(out).nb_read_frames);
  return {
    frames: Number(info.nb_read_frames),
    sdPct: (sd / mean) * 100,
    rFrameRate: info.r_frame_rate,
    keptPct: (kept / Number(info.nb_read_frames)) * 100,
  };
}

/** Busy loops, one per core, for `ms` (bounded: each ends by itself): the machine loaded on purpose. */
function hogs(ms: number): ChildProcess[] {
  const loop = `const end = Date.now() + ${ms}; while (Date.now() < end);`;
  return Array.from({ length: availableParallelism() }, () =>
    spawn(process.execPath, ['-e', loop], { stdio: 'ignore' }),
  );
}

async function timingPass(
  dir: string,
  pipe: Pipe,
  cam: RtspCamera,
  recordMs: number,
  loaded = false,
): Promise<Record<string, Timing>> {
  const root = join(dir, `timing-${pipe.slice(0, 6)}${loaded ? '-loaded' : ''}`);
  const { proc, url } = await server(
    dir,
    pipe,
    `recordings: { path: ${root}, segment_duration: 4 }\ncameras:\n` +
      `  - { id: rtsp, source: "${cam.url}", record: true }\n` +
      `  - { id: encoded, source: "testsrc?size=640x480&fps=30", record: true, encoder: libx264 }\n`,
  );
  const busy = loaded ? hogs(recordMs) : [];
  try {
    await sleep(recordMs);
    const out: Record<string, Timing> = {};
    for (const id of ['rtsp', 'encoded']) {
      const body = (await (
        await fetch(`${url}api/cameras/${id}/recordings?start=${Date.now() - 3_600_000}&end=${Date.now() + 1000}`)
      ).json()) as {
        ranges?: { start: number; end: number }[];
      };
      const ranges = body.ranges ?? [];
      if (ranges.length === 0) throw new Error(`${id}: nothing recorded (${JSON.stringify(body).slice(0, 200)})`);
      // The steady state: from 5 s after the recording began (the first seconds of a camera camrelay
      // encodes are its encoder's start-up burst, paced only once its rate is known).
      const start = ranges[0]!.start + 5000;
      const end = ranges[ranges.length - 1]!.end;
      const response = await fetch(`${url}api/cameras/${id}/recordings/video.mp4?start=${start}&end=${end}`);
      if (response.status !== 200) throw new Error(`${id}: export ${response.status}`);
      const file = join(dir, `${id}.mp4`);
      writeFileSync(file, Buffer.from(await response.arrayBuffer()));
      out[id] = timingOf(file, dir);
    }
    return out;
  } finally {
    for (const hog of busy) hog.kill('SIGKILL');
    await proc.stop('SIGKILL');
  }
}

export async function runMediaClockPasses({ quick }: MediaClockPassOptions): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-bench-clock-'));
  const cam = await startRtspCamera({ width: 640, height: 480, fps: 30, keyint: 30 });
  const measureMs = quick ? 6000 : 15_000;
  const recordMs = quick ? 12_000 : 16_000;
  try {
    const lines = [
      `media clock (RTSP 640x480 30 fps; camrelay-encoded testsrc 640x480 30 fps; ${measureMs / 1000} s CPU window):`,
    ];
    const cpu: Record<string, number> = {};
    for (const pipe of ['mpjpeg (old)', 'mpegts (new)'] as const) cpu[pipe] = await cpuPass(dir, pipe, cam, measureMs);
    lines.push(
      `- CPU of an RTSP camera passed through and recorded (server + capture ffmpeg): ` +
        `old pipe ${cpu['mpjpeg (old)']!.toFixed(4)} cores, new pipe ${cpu['mpegts (new)']!.toFixed(4)} cores`,
    );
    const passes = [
      ['mpjpeg (old)', false],
      ['mpegts (new)', false],
      ['mpegts (new)', true],
    ] as const;
    for (const [pipe, loaded] of passes) {
      const timing = await timingPass(dir, pipe, cam, recordMs, loaded);
      const label = loaded ? `${pipe} with ${availableParallelism()} busy loops` : pipe;
      for (const [id, t] of Object.entries(timing)) {
        lines.push(
          `- ${label}, ${id === 'rtsp' ? 'RTSP camera' : 'camrelay-encoded camera'}: ${t.frames} frames, ` +
            `frame-duration std dev ${t.sdPct.toFixed(2)} % of the mean, r_frame_rate ${t.rFrameRate}, ` +
            `re-encode keeps ${t.keptPct.toFixed(1)} %`,
        );
      }
    }
    return lines;
  } finally {
    await cam.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const lines = await runMediaClockPasses({ quick: !!process.env.BENCH_QUICK });
  console.log(lines.join('\n'));
}
