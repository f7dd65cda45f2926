/**
 * A real RTSP camera on loopback: GStreamer's RTSP server (rtsp-server.py, run by Debian's
 * /usr/bin/python3, which has the GStreamer bindings) serving a moving ball in H.264 (or H.265),
 * optionally with a second, audio stream (AAC or G.711 A-law, as cameras with a microphone send),
 * optionally with B-frames (H.264), optionally behind basic auth. scripts/ensure-test-deps.sh installs what it needs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(ROOT, 'test/support/rtsp-server.py');
const PATH = '/cam';

export interface RtspCameraOptions {
  width: number;
  height: number;
  fps: number;
  /** Frames from one keyframe to the next. */
  keyint: number;
  /** What it sends: H.264 (x264enc) by default, or H.265 (x265enc). */
  codec?: 'h264' | 'h265';
  /** A second stream, audio (a 440 Hz tone): AAC (MPEG4-GENERIC, 16 kHz) or G.711 A-law (PCMA) or µ-law (PCMU), 8 kHz, or Opus (48 kHz). */
  audio?: RtspAudio;
  /** The picture white and black by turns every half second (2 fps, whatever fps says), a beep as it turns white. */
  sync?: boolean;
  /** H.264 with this many B-frames (x264's `bframes`); none by default. */
  bframes?: number;
  /** With both, clients must log in with them (basic auth). */
  user?: string;
  password?: string;
  /** Listen on this port (a camera started again where the previous one was); a free one by default. */
  port?: number;
  /** How long to wait for it to listen (10 s). */
  timeoutMs?: number;
}

export interface RtspCamera {
  /** `rtsp://127.0.0.1:PORT/cam`, without credentials. */
  url: string;
  port: number;
  /** The URL with `user:password@` (percent-encoded) in it. */
  urlWith(user: string, password: string): string;
  /** SIGTERM (SIGKILL if it is still there after 5 s); resolves once it has exited. */
  stop(): Promise<void>;
  /** SIGKILL, as a camera that loses power; resolves once it has exited. */
  kill(): Promise<void>;
}

export type RtspAudio = 'aac' | 'pcma' | 'pcmu' | 'opus';

const ELEMENTS = { h264: ['x264enc', 'rtph264pay'], h265: ['x265enc', 'rtph265pay'] } as const;
const AUDIO_ELEMENTS = {
  aac: ['audiotestsrc', 'voaacenc', 'rtpmp4gpay'],
  pcma: ['audiotestsrc', 'alawenc', 'rtppcmapay'],
  pcmu: ['audiotestsrc', 'mulawenc', 'rtppcmupay'],
  opus: ['audiotestsrc', 'opusenc', 'rtpopuspay'],
} as const;

/** Why the RTSP camera cannot run on this machine, or undefined when it can (for skipOutsideCi). */
export function rtspCameraMissing(codec: 'h264' | 'h265' = 'h264', audio?: RtspAudio): string | undefined {
  const wanted = ['videotestsrc', ...ELEMENTS[codec], ...(audio ? AUDIO_ELEMENTS[audio] : [])];
  const elements = wanted.map((e) => JSON.stringify(e)).join(', ');
  const check = [
    'import gi',
    'gi.require_version("Gst", "1.0")',
    'gi.require_version("GstRtspServer", "1.0")',
    'from gi.repository import Gst, GstRtspServer',
    'Gst.init(None)',
    `missing = [e for e in (${elements}) if not Gst.ElementFactory.find(e)]`,
    'if missing: raise SystemExit("no GStreamer element " + ", ".join(missing))',
  ].join('\n');
  const run = spawnSync(PYTHON, ['-c', check], { encoding: 'utf8', timeout: 20_000 });
  if (run.error) return `no RTSP camera: cannot run ${PYTHON} (${run.error.message}); run scripts/ensure-test-deps.sh`;
  if (run.status !== 0) {
    const why = run.stderr.trim().split('\n').at(-1) || `exit code ${run.status}`;
    return `no RTSP camera: ${why}; run scripts/ensure-test-deps.sh`;
  }
  return undefined;
}

/** Starts the camera and waits until it listens; kills it and says why (its stderr) if it does not. */
export async function startRtspCamera(options: RtspCameraOptions): Promise<RtspCamera> {
  const { width, height, fps, keyint, user, password, timeoutMs = 10_000 } = options;
  const port = options.port ?? (await freePort());
  const args = [SCRIPT, String(port), PATH, String(width), String(height), String(fps), String(keyint)];
  if (user !== undefined && password !== undefined) args.push(user, password);
  if (options.codec) args.push(`--codec=${options.codec}`);
  if (options.audio) args.push(`--audio=${options.audio}`);
  if (options.bframes) args.push(`--bframes=${options.bframes}`);
  if (options.sync) args.push('--sync');
  // stdin stays open: the server quits when it closes, so it never outlives this process.
  const child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exit: string | undefined;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => {}); // it may be gone already
  const exited = new Promise<void>((resolve) => {
    child.once('error', (err) => {
      exit = `could not start: ${err.message}`;
      resolve();
    });
    child.once('close', (code, signal) => {
      exit = signal ? `killed by ${signal}` : `exited with code ${code}`;
      resolve();
    });
  });

  async function end(signal: NodeJS.Signals): Promise<void> {
    if (exit !== undefined) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  try {
    await waitFor(
      () => {
        if (exit !== undefined) throw new Error(`the RTSP camera ${exit} before it listened`);
        return stdout.includes('ready');
      },
      timeoutMs,
      `the RTSP camera on port ${port} to listen`,
    );
  } catch (err) {
    await end('SIGKILL');
    throw new Error(`${(err as Error).message}; its stderr:\n${stderr.trim() || '(nothing)'}`, { cause: err });
  }

  const url = `rtsp://127.0.0.1:${port}${PATH}`;
  return {
    url,
    port,
    urlWith: (u, p) => `rtsp://${encodeURIComponent(u)}:${encodeURIComponent(p)}@127.0.0.1:${port}${PATH}`,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
  };
}
