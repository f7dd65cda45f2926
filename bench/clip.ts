/** The benchmarks' camera: a clip that compresses like a real one. */
import { execFileSync } from 'node:child_process';
import { locateFfmpeg } from '../src/sources/ffmpeg/locate.js';

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
