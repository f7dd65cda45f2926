/** The process logger: pino, JSON lines on stdout. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { app: 'camrelay' },
    // Credentials never reach the log, whatever a caller passes.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'token', 'password'], censor: '[redacted]' },
  });
}
