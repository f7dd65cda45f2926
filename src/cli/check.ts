/**
 * `camrelay check`: what `serve` would run, checked before it runs. Validates the config
 * (the same --config and --camera as serve) and what serve would refuse at start (an open
 * address without credentials, unreadable TLS files), lists the cameras, and probes each source
 * once: the camera's own ffmpeg capture must yield one whole frame within the timeout. Prints a
 * line per camera on stdout and a line per problem on stderr; exits 0 when all is well,
 * 2 when the config is wrong (as serve does), 1 when a camera gives no frame.
 */
import { ConfigError, loadConfig } from '../config/load.js';
import type { CameraConfig } from '../config/schema.js';
import { createLogger, type Logger } from '../log.js';
import { checkExposure } from '../security/exposure.js';
import { readTls } from '../security/tls.js';
import { createSecureContext } from 'node:tls';
import { MAX_FRAME_BYTES } from '../server/cameras.js';
import { FfmpegSource } from '../sources/ffmpeg/ffmpeg-source.js';
import { locateFfmpeg } from '../ffmpeg/locate.js';
import { describeSource } from '../sources/spec.js';
import { unwritable } from '../recording/disk.js';
import { settleRecordings } from '../recording/config.js';
import { loadSqlite } from '../recording/segment-index.js';
import { userInfo } from 'node:os';
import { findServiceUnit } from './service-unit.js';

export interface CheckOptions {
  config?: string;
  camera?: string[];
  /** Seconds each camera has to deliver its first frame. */
  timeout?: number;
}

export type ProbeResult =
  { ok: true; width: number | undefined; height: number | undefined; ms: number } | { ok: false; problem: string };

/** Starts the camera's capture once, waits for its first frame (or its end, or the timeout), and stops it. */
export async function probeCamera(camera: CameraConfig, timeoutMs: number, log: Logger): Promise<ProbeResult> {
  const source = new FfmpegSource(
    camera.id,
    camera.spec,
    { quality: camera.quality, passthrough: camera.passthrough, maxFrameBytes: MAX_FRAME_BYTES },
    log,
  );
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<ProbeResult>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, problem: `no frame within ${timeoutMs / 1000} s` }), timeoutMs);
      source.start({
        unit({ config }) {
          resolve({ ok: true, width: config.width, height: config.height, ms: Date.now() - started });
        },
        ended(reason) {
          resolve({ ok: false, problem: reason });
        },
      });
    });
  } finally {
    clearTimeout(timer);
    await source.stop();
  }
}

/** One line, whatever the reason's own line breaks (ffmpeg's stderr). */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' | ').trim();
}

export async function runCheck(
  options: CheckOptions,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const problems: string[] = [];
  let status = 0;
  const fail = (code: number, line: string): void => {
    problems.push(line);
    status = Math.max(status, code);
  };

  // Run as the service's user outside systemd, check sees what serve will see under its unit.
  const { env, stateFrom } = serviceEnvironment(process.env);
  let config;
  try {
    config = await loadConfig({ config: options.config, cameras: options.camera }, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // The config error already says one problem per line: key, value, what was expected.
    for (const line of e.message.split('\n')) err.write(`camrelay: ${line.trim()}\n`);
    return e.exitCode;
  }
  out.write(`config: ${options.config ?? '(none: command line only)'}: valid\n`);
  const exposure = checkExposure(config.host, config.security);
  if (!exposure.ok) fail(2, `server: ${oneLine(exposure.message)}`);
  if (config.security.tls) {
    // What serve reads at start, as the user it runs as: the files, and a key that fits the certificate.
    try {
      createSecureContext(readTls(config.security.tls));
    } catch (e) {
      const message = (e as Error).message;
      fail(2, message.startsWith('server.tls.') ? message : `server.tls: ${oneLine(message)}`);
    }
  }

  const recorded = config.cameras.filter((c) => c.record).length;
  const hubRecords = config.publishers?.some((p) => p.record) ?? false;
  if ((recorded || hubRecords) && config.recordings) {
    // Recording: the store's folder must be writable by the user serve runs as. Which path, and why that one.
    const path = config.recordings.path;
    // A configured path says so itself; the default says where it comes from.
    const origin =
      settleRecordings(undefined, undefined, env).path !== path
        ? ''
        : env.STATE_DIRECTORY
          ? ` (the default, $STATE_DIRECTORY/recordings${stateFrom ? `, as serve under ${stateFrom}` : ''})`
          : ` (the default, ./recordings in the working directory ${process.cwd()})`;
    try {
      loadSqlite();
    } catch (e) {
      fail(1, (e as Error).message);
    }
    const problem = await unwritable(path);
    if (problem) fail(2, `recordings.path: ${path}${origin} is not writable: ${problem}`);
    else out.write(`recordings: ${path}${origin} (${recorded} camera(s) recorded)\n`);
  }

  try {
    const ffmpeg = locateFfmpeg();
    out.write(`ffmpeg: ${ffmpeg.path} (from ${ffmpeg.from})\n`);
  } catch (e) {
    fail(1, `ffmpeg: ${(e as Error).message}`);
  }

  const publishers = config.publishers?.length ?? 0;
  out.write(`cameras: ${config.cameras.length}${publishers ? `, and ${publishers} publishing edge(s) allowed` : ''}\n`);
  const timeoutMs = (options.timeout ?? 10) * 1000;
  const log = createLogger('silent');
  // Every camera at once: a board's cameras are independent, and a dead one costs the timeout only once.
  const results = await Promise.all(config.cameras.map((camera) => probeCamera(camera, timeoutMs, log)));
  const width = Math.max(0, ...config.cameras.map((c) => c.id.length));
  config.cameras.forEach((camera, i) => {
    const result = results[i]!;
    const source = describeSource(camera.spec);
    if (result.ok) {
      const size = result.width ? `${result.width}x${result.height}` : 'a frame';
      const took = result.ms < 1000 ? `${result.ms} ms` : `${(result.ms / 1000).toFixed(1)} s`;
      out.write(`  ${camera.id.padEnd(width)}  ok      ${size} in ${took}  ${source}\n`);
    } else {
      out.write(`  ${camera.id.padEnd(width)}  FAILED  ${source}\n`);
      // A USB camera opens once: one that a running camrelay captures (always_on, or watched) is busy here.
      const hint = result.problem.startsWith('device busy') ? ' (is a running camrelay capturing it?)' : '';
      fail(1, `camera ${camera.id} (${source}): ${oneLine(result.problem)}${hint}`);
    }
  });

  for (const line of problems) err.write(`camrelay: ${line}\n`);
  out.write(problems.length ? `${problems.length} problem(s)\n` : 'all good\n');
  return status;
}

/**
 * The environment serve gets under systemd, when check runs outside it as the unit's User=:
 * $STATE_DIRECTORY from StateDirectory= (the recordings' default is there, not in the working
 * directory of whoever ran check). `stateFrom` names the unit it came from.
 */
export function serviceEnvironment(
  env: NodeJS.ProcessEnv,
  unit = findServiceUnit(),
  user = currentUser(),
): { env: NodeJS.ProcessEnv; stateFrom?: string } {
  if (env.STATE_DIRECTORY || !unit?.stateDirectory || !user || unit.user !== user) return { env };
  return {
    env: { ...env, STATE_DIRECTORY: unit.stateDirectory },
    stateFrom: `${unit.file} (User=${unit.user}, StateDirectory=${unit.stateDirectory})`,
  };
}

function currentUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined; // a uid without a passwd entry
  }
}

export async function checkCommand(options: CheckOptions): Promise<void> {
  process.exitCode = await runCheck(options, process.stdout, process.stderr);
}
