/**
 * Shared helpers for the tests: real ffmpeg, real servers on loopback. The rest of test/support/,
 * re-exported here: waiting (wait.ts), paths (paths.ts), free ports (ports.ts), camrelay as a
 * child process (process.ts), the protocol v1 viewer (v1-client.ts), upgrades that may be refused
 * (upgrade.ts), CI-only requirements (ci.ts), a real RTSP camera (rtsp-camera.ts), ffprobe on
 * written files (ffprobe.ts).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import jpeg from 'jpeg-js';
import { loadConfig } from '../../src/config/load.js';
import { buildServer, type Server, type ServerParts } from '../../src/server/app.js';
import { locateFfmpeg } from '../../src/ffmpeg/locate.js';
import { jpegConfig } from '../../src/media/jpeg.js';
import { readJpegSize } from '../../src/codec/jpeg.js';
import type { SourceUnit } from '../../src/media/index.js';

export { waitFor, sleep } from './wait.js';
export { arrivalTimes } from './times.js';
export { BIN, ROOT } from './paths.js';
export { freePort, portOf } from './ports.js';
export { CamrelayProcess, runCamrelay, startCamrelay, type LogLine, type SpawnOptions } from './process.js';
export { V1Client, wsUrl, type V1Frame, type TextMessage, type Closed } from './v1-client.js';
export { rejectedUpgrade, upgrade, upgradeStatus, type Upgrade } from './upgrade.js';
export { IN_CI, requireInCi, skipOutsideCi } from './ci.js';
export { ffprobeErrors, ffprobeInfo, type FfprobeInfo } from './ffprobe.js';
export { HandObservations } from './observations.js';
export { Mosquitto } from './mosquitto.js';
export { rtspCameraMissing, startRtspCamera, type RtspCamera, type RtspCameraOptions } from './rtsp-camera.js';

/** A JPEG as a source produces it: a keyframe on a jpeg track of its own size. */
export function jpegUnit(data: Buffer): SourceUnit {
  const size = readJpegSize(data) ?? { width: 0, height: 0 };
  return { config: jpegConfig(size.width, size.height), keyframe: true, data };
}

export function quietLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

/** A real JPEG made by ffmpeg: a test pattern of the given size. */
export function ffmpegJpeg(width = 320, height = 240, source = 'testsrc2'): Buffer {
  return execFileSync(
    locateFfmpeg().path,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `${source}=size=${width}x${height}:rate=1`,
      '-frames:v',
      '1',
      '-f',
      'mjpeg',
      'pipe:1',
    ],
    { maxBuffer: 32 * 1024 * 1024 },
  );
}

/** Writes `count` real JPEG frames as one raw .mjpeg stream (what `file:x.mjpeg` passes through). */
export function ffmpegMjpegFile(path: string, count: number, width = 320, height = 240): void {
  execFileSync(locateFfmpeg().path, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${width}x${height}:rate=30`,
    '-frames:v',
    String(count),
    '-c:v',
    'mjpeg',
    '-pix_fmt',
    'yuvj420p',
    '-q:v',
    '5',
    '-f',
    'mjpeg',
    path,
  ]);
}

export function decodeJpeg(data: Buffer): { width: number; height: number; data: Uint8Array } {
  return jpeg.decode(data, { useTArray: true, maxMemoryUsageInMB: 256 });
}

export interface TestServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Starts a server in this process on a free loopback port with `--camera` style arguments. */
export async function startServer(cameras: string[], configFile?: string, parts?: ServerParts): Promise<TestServer> {
  const config = await loadConfig({ cameras, config: configFile, host: '127.0.0.1', port: 0 });
  const server = await buildServer(config, quietLogger(), undefined, parts);
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const address = server.app.server.address();
  if (!address || typeof address !== 'object') throw new Error('no address');
  return { server, url: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}

/** Pids of the ffmpeg processes whose parent is `parent`. */
export function ffmpegChildren(parent = process.pid): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      if (ppid === parent && comm.startsWith('ffmpeg')) out.push(Number(entry));
    } catch {
      // process ended while we looked
    }
  }
  return out;
}

/** The pid of the ffmpeg whose command line contains `needle`, among `pids`. */
export function findFfmpegFor(needle: string, pids: number[]): number {
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle)) return pid;
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no ffmpeg with ${needle} among ${pids.join(', ')}`);
}

/**
 * Frames camera `id` of an in-process server has made so far (its own counter): tests compare what
 * a viewer received with what the camera made in the same window, not with a nominal rate.
 */
export function cameraFrames(ts: TestServer, id: string): number {
  const stream = ts.server.registry.get(id);
  if (!stream) throw new Error(`no camera ${id}`);
  return stream.counters.frames;
}
