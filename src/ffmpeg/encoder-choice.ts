/**
 * `auto`: the first H.264 encoder that works on this machine. Probed once per process and ffmpeg
 * binary: a one-frame encode of a small generated picture with each candidate, hardware first, each
 * bounded in time; libx264 when none works. It logs what it chose and why.
 */
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';
import { AUTO_ORDER, encoderArgs, type Encoder, type EncoderChoice } from './encoders.js';

export interface EncoderProbeOptions {
  /** The ffmpeg binary. */
  binary: string;
  /** Candidates in order (AUTO_ORDER). */
  order?: readonly Encoder[];
  /** Per candidate. Default 10 s. */
  timeoutMs?: number;
}

export interface EncoderChoiceResult {
  encoder: Encoder;
  /** Why each candidate before it was passed over. */
  rejected: { encoder: Encoder; why: string }[];
}

interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

function run(binary: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const options = { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, killSignal: 'SIGKILL' as const };
    execFile(binary, args, options, (err, stdout, stderr) =>
      resolve({ ok: !err, stdout: String(stdout), stderr: err && !stderr ? err.message : String(stderr) }),
    );
  });
}

/** What a failed probe said: its first error line (the cause), and its last (the consequence). */
function why(stderr: string, fallback: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .filter((l) => l.trim() && !/^\s*Last message repeated/.test(l))
    .map((l) => l.replace(/ @ 0x[0-9a-f]+\]/gi, ']').trim());
  const first = lines[0];
  const last = lines.at(-1);
  if (!first || !last) return fallback;
  return (first === last ? first : `${first} … ${last}`).slice(0, 300);
}

/** Encodes one small frame with `encoder`; undefined when it worked, else why not. */
export async function probeEncoder(binary: string, encoder: Encoder, timeoutMs = 10_000): Promise<string | undefined> {
  const { input, output } = encoderArgs(encoder, { bitrate: 500, keyframeInterval: 1, fps: 10 });
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...input,
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=10',
    '-frames:v',
    '1',
    ...output,
    '-f',
    'h264',
    '-y',
    '/dev/null',
  ];
  const result = await run(binary, args, timeoutMs);
  return result.ok ? undefined : why(result.stderr, `no result within ${timeoutMs} ms`);
}

/** Tries the candidates in order; the first that encodes a frame wins, libx264 when none does. */
export async function chooseEncoder(options: EncoderProbeOptions): Promise<EncoderChoiceResult> {
  const order = options.order ?? AUTO_ORDER;
  const listed = await run(options.binary, ['-hide_banner', '-encoders'], options.timeoutMs ?? 10_000);
  const rejected: EncoderChoiceResult['rejected'] = [];
  for (const encoder of order) {
    // Not built into this ffmpeg: no need to try it.
    if (listed.ok && !new RegExp(`^\\s*V\\S*\\s+${encoder}\\s`, 'm').test(listed.stdout)) {
      rejected.push({ encoder, why: 'not in this ffmpeg' });
      continue;
    }
    const failure = await probeEncoder(options.binary, encoder, options.timeoutMs);
    if (failure === undefined) return { encoder, rejected };
    rejected.push({ encoder, why: failure });
  }
  return { encoder: 'libx264', rejected };
}

const chosen = new Map<string, Promise<Encoder>>();

/**
 * The encoder to use: `choice` itself, or for `auto` the probed one (once per
 * process and binary; logged once with the reasons).
 */
export function resolveEncoder(
  choice: EncoderChoice,
  binary: string,
  log: Logger,
  probe: (o: EncoderProbeOptions) => Promise<EncoderChoiceResult> = chooseEncoder,
): Promise<Encoder> {
  if (choice !== 'auto') return Promise.resolve(choice);
  let result = chosen.get(binary);
  if (!result) {
    result = probe({ binary }).then(
      ({ encoder, rejected }) => {
        const passedOver = rejected.map((r) => `${r.encoder}: ${r.why}`);
        log.info({ encoder, passedOver }, `H.264 encoder: ${encoder} (auto)`);
        return encoder;
      },
      (err: unknown) => {
        log.warn({ err }, 'H.264 encoder probe failed; using libx264');
        return 'libx264' as const;
      },
    );
    chosen.set(binary, result);
  }
  return result;
}

/** Forgets the probed choices (tests). */
export function forgetEncoderChoices(): void {
  chosen.clear();
}
