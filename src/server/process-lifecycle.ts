/**
 * What `serve` and `publish` share as processes: say which ffmpeg they use,
 * and end cleanly on SIGINT/SIGTERM — every camera's ffmpeg stopped before
 * exit, forced after 8 s.
 */
import type { Logger } from 'pino';
import { locateFfmpeg } from '../ffmpeg/locate.js';

export function logFfmpeg(log: Logger): void {
  try {
    const ffmpeg = locateFfmpeg();
    log.info({ ffmpeg: ffmpeg.path, from: ffmpeg.from }, 'using ffmpeg');
  } catch (err) {
    log.error((err as Error).message);
  }
}

export function exitOnSignals(log: Logger, shutdown: () => Promise<unknown>): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), 8000).unref();
    shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
}
