/**
 * Audio passes: A/V sync of an export, and what a camera's audio costs.
 *
 * - Sync: GStreamer's RTSP camera in its `--sync` variant (at 25 fps, a 3-frame white flash and a 10 ms beep
 *   sounds at the same instant on its clock), with AAC and with G.711 A-law, recorded by camrelay, and
 *   the same stream copied by plain ffmpeg as a reference (its timestamps are the RTP/RTCP ones). In
 *   each file, every black→white turn of the picture is paired with the nearest beep; the offset is the
 *   beep's time minus the picture's (positive: sound late). camrelay's error is its export's median
 *   offset minus the reference's (what the fixture's own encoders and payloaders add is in both).
 * - CPU: an RTSP H.264 + AAC camera passed through and recorded, with its audio and with `audio: false`
 *   (video only, as before audio existed), in the same run: the server's CPU and its ffmpeg child's.
 *
 *   node --import tsx bench/av-sync.ts     # alone; `npm run bench` runs it too
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCamrelay } from '../test/support/process.js';
import { startRtspCamera } from '../test/support/rtsp-camera.js';
import { ffmpegChildren } from '../test/support/index.js';

const TICK = 100;

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

/** Times (s) the picture turns from dark to bright: ffprobe's mean luma per frame. */
function flashes(file: string): number[] {
  const out = execFileSync(
    'ffprobe',
    [
      ...['-v', 'error', '-f', 'lavfi', `movie=${file},signalstats`],
      ...['-show_entries', 'frame=pts_time:frame_tags=lavfi.signalstats.YAVG', '-of', 'csv=p=0'],
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const frames = out
    .trim()
    .split('\n')
    .map((l) => l.split(',').map(Number) as [number, number]);
  const lo = Math.min(...frames.map((f) => f[1]));
  const hi = Math.max(...frames.map((f) => f[1]));
  const mid = (lo + hi) / 2;
  const turns: number[] = [];
  for (let i = 1; i < frames.length; i++)
    if (frames[i - 1]![1] < mid && frames[i]![1] >= mid) turns.push(frames[i]![0]);
  return turns;
}

/** Times (s) a beep starts: the first loud sample after 100 ms of quiet, on the audio's own timeline. */
function beeps(file: string): number[] {
  const start = Number(
    execFileSync(
      'ffprobe',
      ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=start_time', '-of', 'csv=p=0', file],
      {
        encoding: 'utf8',
      },
    ).trim(),
  );
  const rate = 16000;
  const pcm = execFileSync(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-map', '0:a:0', '-ac', '1', '-ar', String(rate), '-f', 's16le', '-'],
    {
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  const s = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.byteLength >> 1);
  let peak = 0;
  for (const v of s) peak = Math.max(peak, Math.abs(v));
  const loud = peak / 3;
  const quiet = rate / 10;
  const out: number[] = [];
  let lastLoud = -Infinity;
  for (let i = 0; i < s.length; i++) {
    if (Math.abs(s[i]!) < loud) continue;
    if (i - lastLoud > quiet) out.push((Number.isFinite(start) ? start : 0) + i / rate);
    lastLoud = i;
  }
  return out;
}

/** Each flash's offset to the nearest beep (s). */
function offsets(file: string): number[] {
  const b = beeps(file);
  return flashes(file)
    .map((f) => {
      let best = Infinity;
      for (const t of b) if (Math.abs(t - f) < Math.abs(best)) best = t - f;
      return best;
    })
    .filter((o) => Math.abs(o) < 0.5);
}

const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;

async function syncPass(dir: string, audio: 'aac' | 'pcma', seconds: number): Promise<string[]> {
  const cam = await startRtspCamera({ width: 320, height: 240, fps: 25, keyint: 25, audio, sync: true });
  const config = join(dir, `sync-${audio}.yaml`);
  writeFileSync(
    config,
    `log: { level: warn }\nrecordings: { path: ${join(dir, `store-${audio}`)}, segment_duration: ${seconds}, min_free: 0 }\n` +
      `cameras:\n  - { id: sync, source: "${cam.url}", record: true }\n`,
  );
  const reference = join(dir, `reference-${audio}.mkv`);
  const { proc, url } = await startCamrelay(['serve', '--config', config, '--port', '0'], { timeoutMs: 30_000 });
  try {
    // The reference: the same stream copied by ffmpeg alone, meanwhile.
    const ref = spawn('ffmpeg', [
      '-v',
      'error',
      '-rtsp_transport',
      'tcp',
      '-i',
      cam.url,
      '-t',
      String(seconds * 2),
      '-c',
      'copy',
      '-y',
      reference,
    ]);
    const refDone = new Promise((r) => ref.once('exit', r));
    // Three segments: the first (its audio begins after the video) is left out.
    await sleep((seconds * 3 + 4) * 1000);
    await refDone;
    const list = (await (
      await fetch(`${url}api/cameras/sync/recordings?start=${Date.now() - 600_000}&end=${Date.now() + 1000}`)
    ).json()) as {
      ranges: { start: number; end: number }[];
    };
    const range = list.ranges[0]!;
    const exported = join(dir, `export-${audio}.mp4`);
    const from = range.start + seconds * 1000 + 100;
    const res = await fetch(`${url}api/cameras/sync/recordings/video.mp4?start=${from}&end=${from + seconds * 2000}`);
    writeFileSync(exported, Buffer.from(await res.arrayBuffer()));
    const ours = offsets(exported);
    const theirs = offsets(reference);
    const error = median(ours) - median(theirs);
    return [
      `A/V sync, RTSP H.264 + ${audio === 'aac' ? 'AAC 16 kHz' : 'G.711 A-law 8 kHz'} (sync fixture, ${ours.length} flashes): ` +
        `export offset median ${ms(median(ours))} (min ${ms(Math.min(...ours))}, max ${ms(Math.max(...ours))}), ` +
        `ffmpeg's own copy ${ms(median(theirs))}: camrelay's error ${ms(error)} (target |error| ≤ 20 ms) ` +
        (Math.abs(error) <= 0.02 ? 'ok' : 'MISSED'),
    ];
  } finally {
    await proc.stop('SIGKILL');
    await cam.stop();
  }
}

/**
 * Drift: the AAC sync camera recorded for `minutes`, then the offset of 12 s exported at its start and at
 * its end (AV_SYNC_DRIFT_MINUTES=10 node --import tsx bench/av-sync.ts; not part of npm run bench: long).
 */
async function driftPass(dir: string, minutes: number): Promise<string[]> {
  const cam = await startRtspCamera({ width: 320, height: 240, fps: 25, keyint: 25, audio: 'aac', sync: true });
  const config = join(dir, 'drift.yaml');
  writeFileSync(
    config,
    `log: { level: warn }\nrecordings: { path: ${join(dir, 'store-drift')}, segment_duration: 60, min_free: 0 }\n` +
      `cameras:\n  - { id: sync, source: "${cam.url}", record: true }\n`,
  );
  const { proc, url } = await startCamrelay(['serve', '--config', config, '--port', '0'], { timeoutMs: 30_000 });
  try {
    const t0 = Date.now();
    await sleep(minutes * 60_000 + 5000);
    const at = async (from: number, name: string): Promise<number> => {
      const file = join(dir, name);
      const res = await fetch(`${url}api/cameras/sync/recordings/video.mp4?start=${from}&end=${from + 12_000}`);
      writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      return median(offsets(file));
    };
    const first = await at(t0 + 70_000, 'drift-start.mp4');
    const last = await at(Date.now() - 20_000, 'drift-end.mp4');
    return [
      `A/V drift, AAC sync camera recorded ${minutes} min: offset ${ms(first)} after 1 min, ${ms(last)} at the end: ` +
        `${ms(last - first)} of drift`,
    ];
  } finally {
    await proc.stop('SIGKILL');
    await cam.stop();
  }
}

async function cpuPass(dir: string, measureMs: number): Promise<string[]> {
  const cam = await startRtspCamera({ width: 1280, height: 720, fps: 30, keyint: 30, audio: 'aac' });
  const results: Record<string, { server: number; ffmpeg: number }[]> = { audio: [], video: [] };
  try {
    // Alternating rounds (the machine is shared): with audio, video only, with audio, video only.
    for (const withAudio of [true, false, true, false]) {
      const config = join(dir, `cpu-${withAudio}.yaml`);
      rmSync(join(dir, 'store-cpu'), { recursive: true, force: true });
      writeFileSync(
        config,
        `log: { level: warn }\nrecordings: { path: ${join(dir, 'store-cpu')}, segment_duration: 10, min_free: 0 }\n` +
          `cameras:\n  - { id: cam, source: "${cam.url}", always_on: true, record: true, audio: ${withAudio} }\n`,
      );
      const { proc } = await startCamrelay(['serve', '--config', config, '--port', '0'], { timeoutMs: 30_000 });
      try {
        await sleep(5000);
        const child = ffmpegChildren(proc.pid)[0];
        const s0 = cpuSeconds(proc.pid);
        const f0 = child ? cpuSeconds(child) : 0;
        const t0 = performance.now();
        await sleep(measureMs);
        const secs = (performance.now() - t0) / 1000;
        results[withAudio ? 'audio' : 'video']!.push({
          server: (cpuSeconds(proc.pid) - s0) / secs,
          ffmpeg: child ? (cpuSeconds(child) - f0) / secs : NaN,
        });
      } finally {
        await proc.stop('SIGKILL');
      }
    }
  } finally {
    await cam.stop();
  }
  const total = (r: { server: number; ffmpeg: number }[]) => median(r.map((x) => x.server + x.ffmpeg));
  const a = total(results.audio!);
  const v = total(results.video!);
  const ratio = a / v;
  return [
    `audio CPU, RTSP 1280x720 30 fps H.264 + AAC passed through and recorded: ${a.toFixed(3)} cores with its audio ` +
      `(server ${median(results.audio!.map((x) => x.server)).toFixed(3)} + ffmpeg ${median(results.audio!.map((x) => x.ffmpeg)).toFixed(3)}), ` +
      `${v.toFixed(3)} video only (audio: false): ×${ratio.toFixed(2)} (target ≤ ×1.10) ${ratio <= 1.1 ? 'ok' : 'MISSED'}`,
  ];
}

/** The passes; their lines for the report. */
export async function runAudioPasses(options: { quick: boolean }): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-bench-audio-'));
  try {
    const seconds = options.quick ? 4 : 6;
    return [
      ...(await syncPass(dir, 'aac', seconds)),
      ...(await syncPass(dir, 'pcma', seconds)),
      ...(await cpuPass(dir, options.quick ? 5000 : 10_000)),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const drift = Number(process.env.AV_SYNC_DRIFT_MINUTES ?? 0);
  if (drift > 0) {
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-bench-drift-'));
    try {
      for (const line of await driftPass(dir, drift)) console.log(line);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else for (const line of await runAudioPasses({ quick: !!process.env.BENCH_QUICK })) console.log(line);
}
