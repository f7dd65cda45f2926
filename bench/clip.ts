/** The benchmarks' camera: a clip that compresses like a real one. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { locateFfmpeg } from '../src/ffmpeg/locate.js';

// Noise keeps the JPEGs at a realistic camera size (~70 KB) instead of a flat pattern's few KB.
/** The bench's clip: noisy 1280x720 JPEGs (about 70 KB each), `frames` of them. */
export function makeClip(path: string, frames = 90): void {
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
    String(frames),
    '-c:v',
    'mjpeg',
    '-pix_fmt',
    'yuvj420p',
    '-q:v',
    '8',
    '-f',
    'mjpeg',
    path,
  ]);
}

/**
 * A camera's own H.264 at 1280x720 30 fps: testsrc2 with a camera's noise, libx264 at `kbps`
 * (constant), a keyframe a second, no B-frames, `seconds` long, in MP4 so that a `file:` camera
 * copies it at its own rate.
 */
export function makeH264Clip(path: string, seconds: number, kbps = 3000): void {
  const rate = `${kbps}k`;
  execFileSync(locateFfmpeg().path, [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30'],
    ...['-vf', 'noise=alls=8:allf=t', '-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast'],
    ...['-b:v', rate, '-maxrate', rate, '-bufsize', rate, '-bf', '0', '-g', '30', '-pix_fmt', 'yuv420p', path],
  ]);
}

/** What a pass module gets when run alone: the clip, and the run's settings (`BENCH_QUICK=1`: shorter). */
export interface ClipPassOptions {
  root: string;
  clip: string;
  quick: boolean;
  warmupMs: number;
  measureMs: number;
}

/**
 * Runs `pass` when `moduleUrl` is the script node was started with (`node --import tsx bench/x.ts`), on a
 * clip of its own, and prints its lines; `npm run bench` imports the module instead and does nothing here.
 */
export async function runAlone(moduleUrl: string, pass: (options: ClipPassOptions) => Promise<string[]>) {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-bench-clip-'));
  const clip = join(dir, 'frames.mjpeg');
  makeClip(clip);
  const quick = !!process.env.BENCH_QUICK;
  try {
    const root = join(import.meta.dirname, '..');
    const lines = await pass({ root, clip, quick, warmupMs: quick ? 2000 : 3000, measureMs: quick ? 4000 : 10_000 });
    console.log(lines.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
