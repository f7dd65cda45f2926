/**
 * Finds the ffmpeg binary: FFMPEG_PATH, else `ffmpeg` on PATH, else the static
 * build shipped in the @ffmpeg-installer npm package (so `npm install` alone
 * is enough on a machine without ffmpeg).
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

export interface FfmpegLocation {
  path: string;
  from: 'FFMPEG_PATH' | 'PATH' | 'npm';
}

let cached: FfmpegLocation | undefined;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function locateFfmpeg(env: NodeJS.ProcessEnv = process.env): FfmpegLocation {
  if (env === process.env && cached) return cached;
  const found = search(env);
  if (env === process.env) cached = found;
  return found;
}

function search(env: NodeJS.ProcessEnv): FfmpegLocation {
  const explicit = env.FFMPEG_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`FFMPEG_PATH=${explicit} is not an executable file`);
    return { path: explicit, from: 'FFMPEG_PATH' };
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'ffmpeg');
    if (isExecutable(candidate)) return { path: candidate, from: 'PATH' };
  }
  try {
    const require = createRequire(import.meta.url);
    const pkg = require('@ffmpeg-installer/ffmpeg') as { path: string };
    if (isExecutable(pkg.path)) return { path: pkg.path, from: 'npm' };
  } catch {
    // package missing or no build for this platform: fall through
  }
  throw new Error('ffmpeg not found: set FFMPEG_PATH, install ffmpeg (apt-get install ffmpeg), or run npm install');
}
