/**
 * The player's H.264 decoders alone in a page, for test/web/decoders.test.ts: bundled by Vite
 * from web/src/player, fed access units the test serves (made by ffmpeg), paced like a camera.
 */
import type { MediaUnit, ShownFrame, VideoConfig } from '../../../web/src/player/media.js';
import { MseDecoder } from '../../../web/src/player/mse-decoder.js';
import { choosePath, type PathChoice } from '../../../web/src/player/path.js';
import { CanvasPresenter } from '../../../web/src/player/presenter.js';
import { WebCodecsDecoder } from '../../../web/src/player/webcodecs-decoder.js';

interface Stream {
  config: VideoConfig;
  units: { data: Uint8Array; keyframe: boolean }[];
}

export interface FeedOptions {
  /** Streams fed one after the other, each from its first unit. */
  streams: string[];
  /** ms between units (a camera's frame interval). */
  intervalMs: number;
  /** Capture time jumps by this much before each stream after the first (a gap, as after an outage). */
  gapMs?: number;
  /** Wait this long after the last unit before reporting. */
  settleMs?: number;
}

export interface FeedResult {
  pushed: number;
  acked: number;
  skipped: number;
  failures: string[];
  shown: number;
  lastShown: ShownFrame | undefined;
  sizes: string[];
  /** MSE: the video's currentTime over the run, the buffered ranges at the end, jumps. */
  times: number[];
  buffered: number[][];
  jumps: number;
  canvasChanges: number;
}

async function load(name: string): Promise<Stream> {
  const meta = (await (await fetch(`/stream/${name}/meta`)).json()) as {
    codec: string;
    width: number;
    height: number;
    description: number[];
    keys: boolean[];
  };
  const units = await Promise.all(
    meta.keys.map(async (keyframe, i) => ({
      keyframe,
      data: new Uint8Array(await (await fetch(`/stream/${name}/au/${i}`)).arrayBuffer()),
    })),
  );
  const config = { codec: meta.codec, width: meta.width, height: meta.height };
  return { config: { kind: 'video', ...config, description: new Uint8Array(meta.description) }, units };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function canvasChecksum(canvas: HTMLCanvasElement): number {
  const context = canvas.getContext('2d')!;
  const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
  let sum = 0;
  for (let k = 0; k < data.length; k += 16) sum = (sum * 31 + data[k]!) >>> 0;
  return sum;
}

async function feed(
  options: FeedOptions,
  target: { configure(c: VideoConfig): void; push(u: MediaUnit): void },
  result: FeedResult,
  tick: () => void,
): Promise<void> {
  const streams = await Promise.all(options.streams.map(load));
  let seq = 0;
  let offset = 0;
  for (const [n, stream] of streams.entries()) {
    if (n > 0) offset += options.gapMs ?? 0;
    target.configure(stream.config);
    for (const unit of stream.units) {
      result.pushed++;
      target.push({
        codec: 'h264',
        data: unit.data,
        keyframe: unit.keyframe,
        seq: ++seq,
        capturedAt: Date.now() + offset,
        done: () => result.acked++,
      });
      await sleep(options.intervalMs);
      tick();
    }
  }
  const end = Date.now() + (options.settleMs ?? 500);
  while (Date.now() < end) {
    await sleep(50);
    tick();
  }
}

function emptyResult(): FeedResult {
  return {
    pushed: 0,
    acked: 0,
    skipped: 0,
    failures: [],
    shown: 0,
    lastShown: undefined,
    sizes: [],
    times: [],
    buffered: [],
    jumps: 0,
    canvasChanges: 0,
  };
}

async function webcodecs(options: FeedOptions): Promise<FeedResult> {
  const result = emptyResult();
  const canvas = document.createElement('canvas');
  canvas.width = 320;
  canvas.height = 180;
  document.body.append(canvas);
  const presenter = new CanvasPresenter(canvas, {
    presented: (frame) => {
      result.shown++;
      result.lastShown = { seq: frame.seq, capturedAt: frame.capturedAt };
      const size = presenter.pictureSize;
      const name = `${size.width}x${size.height}`;
      if (!result.sizes.includes(name)) result.sizes.push(name);
    },
    dropped: () => undefined,
  });
  const decoder = new WebCodecsDecoder(presenter, {
    decoded: () => undefined,
    skipped: () => result.skipped++,
    failed: (error) => result.failures.push(String(error)),
  });
  let last = -1;
  await feed(options, decoder, result, () => {
    const sum = canvasChecksum(canvas);
    if (last >= 0 && sum !== last) result.canvasChanges++;
    last = sum;
  });
  decoder.reset();
  presenter.clear();
  canvas.remove();
  return result;
}

async function mse(options: FeedOptions): Promise<FeedResult> {
  const result = emptyResult();
  const video = document.createElement('video');
  video.style.width = '320px';
  document.body.append(video);
  const decoder = new MseDecoder(video, {
    decoded: () => undefined,
    shown: (frame) => {
      result.shown++;
      result.lastShown = frame;
      const name = `${video.videoWidth}x${video.videoHeight}`;
      if (!result.sizes.includes(name)) result.sizes.push(name);
    },
    skipped: () => result.skipped++,
    jumped: () => result.jumps++,
    failed: (error) => result.failures.push(String(error)),
  });
  await feed(options, decoder, result, () => result.times.push(video.currentTime));
  const ranges = video.buffered;
  for (let i = 0; i < ranges.length; i++) result.buffered.push([ranges.start(i), ranges.end(i)]);
  if (video.error) result.failures.push(`video error ${video.error.code} ${video.error.message}`);
  decoder.reset();
  video.remove();
  return result;
}

const api = { choosePath: (choice: PathChoice) => choosePath(choice), webcodecs, mse };
(window as unknown as { decoders: typeof api }).decoders = api;
export type DecodersApi = typeof api;
