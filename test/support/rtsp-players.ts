/**
 * Third-party RTSP clients run as the tests' and benches' readers: ffmpeg (TCP or UDP, decoding every
 * picture), GStreamer's rtspsrc (test/support/gst-rtsp-client.py) and mpv.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { locateFfmpeg } from '../../src/ffmpeg/locate.js';
import { ROOT } from './paths.js';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Decoded {
  /** Pictures decoded. */
  frames: number;
  /** ffmpeg's messages at level error (none when the stream is clean). */
  errors: string;
  code: number | null;
}

/**
 * ffmpeg reads `seconds` of the stream over `transport` and decodes every picture (framemd5: one line
 * each, timestamps passed through as they come).
 */
export async function ffmpegRtsp(url: string, transport: 'tcp' | 'udp', seconds: number): Promise<Decoded> {
  const args = ['-hide_banner', '-nostdin', '-v', 'error', '-rtsp_transport', transport, '-i', url];
  args.push('-t', String(seconds), '-an', '-fps_mode', 'passthrough', '-f', 'framemd5', '-');
  const result = await run(locateFfmpeg().path, args, (seconds + 20) * 1000);
  const frames = result.stdout.split('\n').filter((l) => /^\d+,/.test(l)).length;
  return { frames, errors: result.stderr.trim(), code: result.code };
}

/** ffmpeg reads `seconds` of the stream's audio track and decodes it: its frames and its error lines. */
export async function ffmpegRtspAudio(url: string, transport: 'tcp' | 'udp', seconds: number): Promise<Decoded> {
  const args = ['-hide_banner', '-nostdin', '-v', 'error', '-rtsp_transport', transport, '-i', url];
  args.push('-t', String(seconds), '-map', '0:a', '-f', 'framemd5', '-');
  const result = await run(locateFfmpeg().path, args, (seconds + 20) * 1000);
  const frames = result.stdout.split('\n').filter((l) => /^\d+,/.test(l)).length;
  return { frames, errors: result.stderr.trim(), code: result.code };
}

export interface GstResult {
  frames: number;
  errors: string[];
  warnings: string[];
  code: number | null;
}

/** GStreamer's rtspsrc until `frames` pictures were decoded (20 s at most). */
export async function gstreamerRtsp(
  url: string,
  protocols: 'tcp' | 'udp',
  frames: number,
  codec: 'h264' | 'h265' = 'h264',
): Promise<GstResult> {
  const script = join(ROOT, 'test/support/gst-rtsp-client.py');
  const result = await run('/usr/bin/python3', [script, url, protocols, String(frames), codec], 30_000);
  const line = result.stdout.trim().split('\n').at(-1) ?? '{}';
  const parsed = JSON.parse(line) as { frames?: number; errors?: string[]; warnings?: string[] };
  return {
    frames: parsed.frames ?? 0,
    errors: parsed.errors ?? [result.stderr],
    warnings: parsed.warnings ?? [],
    code: result.code,
  };
}

/** mpv plays `seconds` with no video or audio output; its log (stdout and stderr). */
export async function mpvRtsp(url: string, seconds: number): Promise<RunResult> {
  return run(
    'mpv',
    [
      '--no-config',
      '--vo=null',
      '--ao=null',
      '--really-quiet=no',
      '--msg-level=all=warn',
      `--length=${seconds}`,
      '--rtsp-transport=tcp',
      url,
    ],
    (seconds + 20) * 1000,
  );
}
