/**
 * The NO SIGNAL picture cannot be turned against the server: sizes taken
 * from a camera's frame headers are capped, a camera flapping online and
 * offline (with a new huge size each time) never has more than the bound of
 * ffmpeg renders running, and none is left behind. Real ffmpeg renders; the
 * camera's source is driven by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CameraStream } from '../../src/hub/camera-stream.js';
import type { AccessUnit as Frame, SourceSink } from '../../src/media/index.js';
import { MAX_RENDERS_IN_FLIGHT, renderPlaceholder } from '../../src/ffmpeg/placeholder.js';
import { MAX_PLACEHOLDER_AREA, MAX_PLACEHOLDER_SIDE, placeholderSize } from '../../src/media/placeholder.js';
import { readJpegSize } from '../../src/codec/jpeg.js';
import type { FrameSource } from '../../src/sources/source.js';
import { ffmpegChildren, ffmpegJpeg, jpegUnit, quietLogger, sleep, waitFor } from '../support/index.js';

const small = ffmpegJpeg(64, 48);

/** A real JPEG whose header claims `width`x`height` (what a hostile camera or edge can send). */
function claiming(width: number, height: number): Buffer {
  const jpeg = Buffer.from(small);
  for (let i = 2; i < jpeg.length - 9; i++) {
    if (jpeg[i] === 0xff && jpeg[i + 1] === 0xc0) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
      return jpeg;
    }
  }
  throw new Error('no SOF0 in the test JPEG');
}

class HandSource implements FrameSource {
  sink: SourceSink | undefined;
  start(sink: SourceSink): void {
    this.sink = sink;
  }
  async stop(): Promise<void> {
    this.sink = undefined;
  }
}

/** Samples the number of ffmpeg children until stopped; returns the largest seen. */
function watchChildren(): { stop(): number } {
  let max = 0;
  const timer = setInterval(() => (max = Math.max(max, ffmpegChildren().length)), 5);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(max, ffmpegChildren().length);
    },
  };
}

function assertCapped(size: { width: number; height: number }): void {
  assert.ok(size.width <= MAX_PLACEHOLDER_SIDE && size.height <= MAX_PLACEHOLDER_SIDE, JSON.stringify(size));
  assert.ok(size.width * size.height <= MAX_PLACEHOLDER_AREA, JSON.stringify(size));
}

describe('NO SIGNAL placeholder bounds', () => {
  it('caps sizes, keeping the aspect', () => {
    assert.deepEqual(placeholderSize(320, 240), { width: 320, height: 240 });
    assert.deepEqual(placeholderSize(1920, 1080), { width: 1920, height: 1080 });
    assertCapped(placeholderSize(16000, 16000));
    assert.equal(placeholderSize(16000, 16000).width, placeholderSize(16000, 16000).height);
    const wide = placeholderSize(65535, 100);
    assertCapped(wide);
    assert.equal(wide.width, MAX_PLACEHOLDER_SIDE);
    assert.deepEqual(placeholderSize(0, 0), { width: 640, height: 360 });
  });

  it('renders a huge claimed size capped, shared by every request of that size', async () => {
    const [a, b] = await Promise.all([
      renderPlaceholder({ width: 16000, height: 16000 }),
      renderPlaceholder({ width: 16000, height: 16000 }),
    ]);
    assert.equal(a, b, 'one picture for the size');
    const size = readJpegSize(a)!;
    assertCapped(size);
    assert.deepEqual(size, placeholderSize(16000, 16000));
    assert.equal(await renderPlaceholder({ width: 16000, height: 16000 }), a, 'cached');
  });

  it('bounds the renders in flight for many sizes at once, and stops those no longer wanted', async () => {
    const watch = watchChildren();
    let max = Infinity;
    const abort = new AbortController();
    const wanted = Array.from({ length: 20 }, (_, i) =>
      renderPlaceholder({ width: 9000 + i * 37, height: 5000 + i * 11 }, abort.signal).then(
        () => 'done',
        () => 'aborted',
      ),
    );
    await sleep(100);
    abort.abort();
    await Promise.all(wanted);
    await waitFor(() => ffmpegChildren().length === 0, 10_000, 'no ffmpeg render left').finally(
      () => (max = watch.stop()),
    );
    assert.ok(max <= MAX_RENDERS_IN_FLIGHT, `${max} renders at once, bound ${MAX_RENDERS_IN_FLIGHT}`);
  });

  it('a camera flapping online and offline at huge sizes: at most the bound of renders, none left', async () => {
    const source = new HandSource();
    const stream = new CameraStream(
      {
        id: 'flappy',
        name: 'Flappy',
        kind: 'test',
        alwaysOn: false,
        idleGraceMs: 60_000,
        stallTimeoutMs: 60_000,
        snapshotTimeoutMs: 500,
        backoffInitialMs: 1,
        backoffMaxMs: 1,
        placeholderIntervalMs: 20,
      },
      source,
      renderPlaceholder,
      quietLogger(),
    );
    const placeholders: Frame[] = [];
    stream.subscribe({ onUnit: (f) => f.placeholder && placeholders.push(f) });
    const watch = watchChildren();
    let max = Infinity;
    try {
      await flap(source, stream, placeholders);
    } finally {
      await stream.close();
      await waitFor(() => ffmpegChildren().length === 0, 10_000, 'no ffmpeg render left').finally(
        () => (max = watch.stop()),
      );
    }
    assert.ok(max <= MAX_RENDERS_IN_FLIGHT, `${max} ffmpeg renders at once, bound ${MAX_RENDERS_IN_FLIGHT}`);
  });
});

async function flap(source: HandSource, stream: CameraStream, placeholders: Frame[]): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await waitFor(() => source.sink, 2000, 'the source to be (re)started');
    source.sink!.unit(jpegUnit(claiming(16000 - i * 97, 16000 - i * 131)));
    source.sink!.ended(`flap ${i}`);
    await sleep(10);
  }
  // The last outage lasts: its picture comes, at the capped size.
  await waitFor(() => placeholders.length > 0 && stream.state === 'offline', 15_000, 'a placeholder frame');
  const last = placeholders.at(-1)!;
  assertCapped({ width: last.config.width, height: last.config.height });
  assert.deepEqual(readJpegSize(last.data), { width: last.config.width, height: last.config.height });
}
