/**
 * The picture shown while a camera is offline: NO SIGNAL on grey, at the
 * camera's size. Rendered by ffmpeg; if ffmpeg itself cannot run, a plain
 * grey JPEG made in-process stands in.
 *
 * The size comes from the camera's last frame, which a camera or an edge
 * controls, and outages can come many times a second. So, server-wide:
 * - sizes are capped (at most 1920 a side and 1920x1080 of area, aspect kept);
 * - pictures are cached by size: every camera of that size shares one, and a
 *   camera flapping online and offline renders nothing new;
 * - at most MAX_RENDERS_IN_FLIGHT ffmpeg renders run at a time (a render
 *   counts until its process has exited), at most MAX_QUEUED sizes wait,
 *   and beyond that the grey picture is answered at once;
 * - a render nobody wants any more (its cameras came back, or want another
 *   size) is stopped after UNWANTED_GRACE_MS: SIGTERM, then SIGKILL
 *   KILL_GRACE_MS later, as is one that takes over RENDER_TIMEOUT_MS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { checkJpeg } from '../codec/jpeg.js';
import { fallbackPlaceholder, greyJpeg, placeholderSize, type PlaceholderSize } from '../media/placeholder.js';
import { filterQuote, findFont } from './font.js';
import { locateFfmpeg } from './locate.js';

export const MAX_RENDERS_IN_FLIGHT = 2;
const MAX_QUEUED = 8;
/** Finished pictures kept, least recently used dropped first. */
const CACHED_SIZES = 16;
const RENDER_TIMEOUT_MS = 10_000;
const UNWANTED_GRACE_MS = 1000;
const KILL_GRACE_MS = 500;
const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

interface Render {
  readonly key: string;
  readonly width: number;
  readonly height: number;
  readonly done: Promise<Buffer>;
  resolve(picture: Buffer): void;
  picture: Buffer | undefined;
  waiters: number;
  child: ChildProcess | undefined;
  /** Set once stopping: the render is out of the table and its result is thrown away. */
  cancelled: boolean;
  unwantedTimer: NodeJS.Timeout | undefined;
}

/** Every render of this process, by size. */
class PlaceholderRenders {
  private readonly renders = new Map<string, Render>();
  private readonly queue: Render[] = [];
  private readonly running = new Set<ChildProcess>();

  render(request: PlaceholderSize, signal?: AbortSignal): Promise<Buffer> {
    const { width, height } = placeholderSize(request.width, request.height);
    const key = `${width}x${height}`;
    let render = this.renders.get(key);
    if (render?.picture) {
      // Most recently used goes last.
      this.renders.delete(key);
      this.renders.set(key, render);
      return Promise.resolve(render.picture);
    }
    if (!render) {
      if (this.queue.length >= MAX_QUEUED) return Promise.resolve(fallbackPlaceholder());
      let resolve: (picture: Buffer) => void = () => {};
      const done = new Promise<Buffer>((r) => (resolve = r));
      render = {
        key,
        width,
        height,
        done,
        resolve,
        picture: undefined,
        waiters: 0,
        child: undefined,
        cancelled: false,
        unwantedTimer: undefined,
      };
      this.renders.set(key, render);
      this.queue.push(render);
      this.pump();
    }
    return this.wait(render, signal);
  }

  /** Stops every render at once (process exit). */
  killAll(): void {
    for (const child of this.running) child.kill('SIGKILL');
  }

  private wait(render: Render, signal: AbortSignal | undefined): Promise<Buffer> {
    if (signal?.aborted) return Promise.reject(new Error('placeholder no longer wanted'));
    render.waiters++;
    clearTimeout(render.unwantedTimer);
    render.unwantedTimer = undefined;
    if (!signal) return render.done;
    return new Promise<Buffer>((resolve, reject) => {
      const onAbort = (): void => {
        reject(new Error('placeholder no longer wanted'));
        this.release(render);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      void render.done.then((picture) => {
        signal.removeEventListener('abort', onAbort);
        if (!signal.aborted) resolve(picture);
      });
    });
  }

  private release(render: Render): void {
    if (--render.waiters > 0 || render.picture || render.cancelled) return;
    // Not started yet: nothing to lose, it goes at once.
    if (!render.child) return this.cancel(render);
    clearTimeout(render.unwantedTimer);
    render.unwantedTimer = setTimeout(() => {
      render.unwantedTimer = undefined;
      if (render.waiters === 0 && !render.picture) this.cancel(render);
    }, UNWANTED_GRACE_MS);
    render.unwantedTimer.unref();
  }

  private cancel(render: Render): void {
    render.cancelled = true;
    if (this.renders.get(render.key) === render) this.renders.delete(render.key);
    const queued = this.queue.indexOf(render);
    if (queued >= 0) this.queue.splice(queued, 1);
    if (render.child) stopChild(render.child);
  }

  private pump(): void {
    while (this.running.size < MAX_RENDERS_IN_FLIGHT && this.queue.length > 0) this.start(this.queue.shift()!);
  }

  private start(render: Render): void {
    let child: ChildProcess;
    try {
      child = spawn(locateFfmpeg().path, ffmpegArgs(render.width, render.height), {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      this.finish(render, greyJpeg(render.width, render.height));
      return;
    }
    render.child = child;
    this.running.add(child);
    const chunks: Buffer[] = [];
    let bytes = 0;
    child.stdout!.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_OUTPUT_BYTES) stopChild(child);
      else chunks.push(chunk);
    });
    const timeout = setTimeout(() => stopChild(child), RENDER_TIMEOUT_MS);
    timeout.unref();
    child.once('error', () => {
      // A failed spawn: 'close' may not follow.
      if (child.pid === undefined) onExit(null);
    });
    child.once('close', (code) => onExit(code));
    let exited = false;
    const onExit = (code: number | null): void => {
      if (exited) return;
      exited = true;
      clearTimeout(timeout);
      this.running.delete(child);
      render.child = undefined;
      const picture = code === 0 && bytes <= MAX_OUTPUT_BYTES ? checkJpeg(Buffer.concat(chunks)) : undefined;
      this.finish(render, picture ?? greyJpeg(render.width, render.height));
      this.pump();
    };
  }

  private finish(render: Render, picture: Buffer): void {
    clearTimeout(render.unwantedTimer);
    render.unwantedTimer = undefined;
    if (render.cancelled) return; // its waiters are gone; the next request renders afresh
    render.picture = picture;
    render.resolve(picture);
    // Keep only the most recently used finished pictures.
    let finished = [...this.renders.values()].filter((r) => r.picture).length;
    for (const r of this.renders.values()) {
      if (finished <= CACHED_SIZES) break;
      if (r.picture && r !== render) {
        this.renders.delete(r.key);
        finished--;
      }
    }
  }
}

/** SIGTERM, then SIGKILL if it is still there after KILL_GRACE_MS. */
function stopChild(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, KILL_GRACE_MS);
  child.once('close', () => clearTimeout(timer));
}

function ffmpegArgs(width: number, height: number): string[] {
  const font = findFont();
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `color=c=0x303030:s=${width}x${height}:d=1`,
  ];
  if (font) {
    const size = Math.max(10, Math.round(Math.min(height / 8, width / 8)));
    args.push(
      '-vf',
      `drawtext=fontfile=${filterQuote(font)}:text=${filterQuote('NO SIGNAL')}:fontsize=${size}` +
        ':fontcolor=white:x=(w-tw)/2:y=(h-th)/2',
    );
  }
  args.push('-frames:v', '1', '-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', '4', '-f', 'mjpeg', 'pipe:1');
  return args;
}

const renders = new PlaceholderRenders();
process.once('exit', () => renders.killAll());

/**
 * The NO SIGNAL picture for a camera of this size (capped: placeholderSize()); `signal` says the caller no
 * longer wants it (the promise then rejects). The hub's PlaceholderRenderer, injected by the server's wiring.
 */
export function renderPlaceholder(request: PlaceholderSize, signal?: AbortSignal): Promise<Buffer> {
  return renders.render(request, signal);
}
