/**
 * What a network camera or a file actually sends, asked of the source itself
 * rather than guessed from its URL: H.264 and H.265 are copied untouched, MJPEG passed
 * through, anything else encoded. (An HTTP camera's Content-Type is asked first, on the
 * connection that may then be the capture: ffmpeg-source.ts.) ffmpeg opens the input and
 * reports its video stream
 * (`Stream #0:0: Video: h264 …`). Bounded in time and output; a source that
 * cannot be opened throws with the reason ffmpeg gave (connection refused,
 * authentication failed…), like a capture that ends.
 */
import { execFile, spawn } from 'node:child_process';
import type { HttpStream } from '../http/camera-connection.js';
import type { SourceSpec } from '../spec.js';
import { exitReason } from '../../ffmpeg/exit-reason.js';
import { rtspInput, type UpstreamCodec } from './capture-plan.js';

/** The source could not be opened; the message is the reason, worded as a capture's end (src/ffmpeg/exit-reason.ts). */
export class SourceOpenError extends Error {}

export interface ProbeResult {
  codec: UpstreamCodec;
  /** ffmpeg's name for it (`h264`, `hevc`, `mjpeg`…) or the HTTP Content-Type. */
  detail: string;
  /** The source's first audio stream, when it has one and it was asked for. */
  audio?: ProbedAudio;
}

export interface ProbedAudio {
  /** ffmpeg's name: `aac`, `pcm_alaw`, `pcm_mulaw`, `opus`, … */
  name: string;
  sampleRate: number;
  channels: number;
}

/** `Stream #0:1: Audio: aac (LC), 16000 Hz, mono, fltp` → the first audio stream's codec, rate and channels. */
export function audioStreamOf(stderr: string): ProbedAudio | undefined {
  const m = /Stream #\d+:\d+[^:]*: Audio: ([\w-]+)[^,\n]*, (\d+) Hz, ([^,\n]+)/.exec(stderr);
  if (!m) return undefined;
  const layout = m[3]!.trim();
  const named: Record<string, number> = { mono: 1, stereo: 2, '2.1': 3, quad: 4, '5.0': 5, '5.1': 6, '7.1': 8 };
  const counted = /^(\d+) channels/.exec(layout);
  const channels = named[layout.replace(/\(.*\)/, '')] ?? (counted ? Number(counted[1]) : 0);
  if (!channels) return undefined;
  return { name: m[1]!, sampleRate: Number(m[2]), channels };
}

export const PROBE_TIMEOUT_MS = 15_000;

/** `Stream #0:0: Video: h264 (High), yuv420p…` → `h264`: the first video stream's codec name. */
export function videoCodecOf(stderr: string): string | undefined {
  const m = /Stream #\d+:\d+[^:]*: Video: ([\w-]+)/.exec(stderr);
  return m?.[1];
}

export function classifyCodec(name: string): UpstreamCodec {
  if (name === 'h264') return 'h264';
  if (name === 'hevc') return 'h265';
  if (name === 'mjpeg' || name === 'jpeg' || name === 'jpegls') return 'mjpeg';
  return 'other';
}

/** What an HTTP response's Content-Type says, when it says MJPEG. */
export function mjpegContentType(contentType: string | null | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'multipart/x-mixed-replace' || type === 'image/jpeg';
}

/** The input arguments ffmpeg opens the source with (the same as the capture's). */
export function probeInput(spec: SourceSpec, audio = false): string[] | undefined {
  switch (spec.kind) {
    case 'rtsp':
      // The SDP names the codecs: the first packet is enough.
      return rtspInput(spec.url, true, audio);
    case 'http':
      return ['-i', spec.url];
    case 'file':
      return ['-i', spec.path];
    default:
      return undefined;
  }
}

/** Asks ffmpeg what the first video stream is. */
export function probeWithFfmpeg(binary: string, input: string[], timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  // No output file: ffmpeg opens the input, prints its streams, and exits (code 1, "no output").
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'info', ...input];
  return new Promise((resolve, reject) => {
    const options = { timeout: timeoutMs, maxBuffer: 1024 * 1024, killSignal: 'SIGKILL' as const };
    execFile(binary, args, options, (err, _stdout, stderr) => {
      const text = String(stderr);
      const name = videoCodecOf(text);
      if (name) {
        const audio = audioStreamOf(text);
        resolve({ codec: classifyCodec(name), detail: name, ...(audio ? { audio } : {}) });
        return;
      }
      const lines = text.split(/\r?\n/).filter((l) => !/must be specified/.test(l));
      const e = err as (Error & { code?: number | string; killed?: boolean; signal?: NodeJS.Signals }) | null;
      if (e?.killed) {
        const seconds = Math.round(timeoutMs / 1000);
        reject(new SourceOpenError(`connection timed out: no answer from the source within ${seconds} s`));
        return;
      }
      const code = typeof e?.code === 'number' ? e.code : 1;
      const reason = exitReason({ code, signal: e?.signal ?? null, stderr: lines.slice(-12) });
      reject(new SourceOpenError(reason.replace(/^stream ended/, 'no video stream')));
    });
  });
}

/** Bytes of a stream a piped probe may read before giving up (ffmpeg's own probe reads a few MiB at most). */
const MAX_PIPED_PROBE_BYTES = 32 * 1024 * 1024;

/**
 * Asks ffmpeg what the first video stream of an open HTTP response is, feeding it on stdin: the camera's
 * one connection is not spent on the question. Every chunk read is given back to the stream (unread), so
 * the capture reads from the very first byte, and ffmpeg finds at once what it took seconds to find here.
 */
export async function probePiped(
  binary: string,
  stream: HttpStream,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<ProbeResult> {
  const child = spawn(binary, ['-hide_banner', '-loglevel', 'info', '-i', 'pipe:0'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    if (stderr.length < 1024 * 1024) stderr += text;
  });
  child.stdin.on('error', () => {}); // EPIPE once ffmpeg has seen enough and exited
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  let gone = false;
  void exited.then(() => (gone = true));
  const seen: Buffer[] = [];
  let bytes = 0;
  let pending: Promise<Buffer | undefined> | undefined;
  try {
    while (!gone) {
      pending ??= stream.read();
      const next = await Promise.race([pending.then((chunk) => ({ chunk })), exited.then(() => undefined)]);
      if (!next) break;
      pending = undefined;
      if (!next.chunk) {
        child.stdin.end();
        break;
      }
      seen.push(next.chunk);
      bytes += next.chunk.length;
      if (bytes > MAX_PIPED_PROBE_BYTES) {
        child.kill('SIGKILL');
        break;
      }
      if (!child.stdin.write(next.chunk)) {
        await Promise.race([new Promise((resolve) => child.stdin.once('drain', resolve)), exited]);
      }
    }
    const code = await exited;
    // A read still under way when ffmpeg left: its chunk belongs to the capture too.
    if (pending) {
      const chunk = await pending;
      if (chunk) seen.push(chunk);
    }
    const name = videoCodecOf(stderr);
    if (name) {
      const audio = audioStreamOf(stderr);
      return { codec: classifyCodec(name), detail: name, ...(audio ? { audio } : {}) };
    }
    if (timedOut) {
      throw new SourceOpenError(`no video stream found within ${Math.round(timeoutMs / 1000)} s of the source`);
    }
    const lines = stderr.split(/\r?\n/).filter((l) => !/must be specified/.test(l));
    const reason = exitReason({ code: code ?? 1, signal: null, stderr: lines.slice(-12) });
    throw new SourceOpenError(reason.replace(/^stream ended/, 'no video stream'));
  } finally {
    clearTimeout(timer);
    stream.unread(seen);
  }
}

/** What the source sends; throws (with ffmpeg's reason) when it cannot be opened. */
export async function probeSource(
  spec: SourceSpec,
  binary: string,
  timeoutMs = PROBE_TIMEOUT_MS,
  audio = false,
): Promise<ProbeResult> {
  const input = probeInput(spec, audio);
  if (!input) throw new Error(`a ${spec.kind} source is not probed`);
  return probeWithFfmpeg(binary, input, timeoutMs);
}
