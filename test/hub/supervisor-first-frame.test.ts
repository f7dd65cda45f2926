/**
 * The first unit of a run has its own allowance (src/hub/supervisor.ts): a source that takes longer than
 * the stall timeout to give its first unit (a live MPEG-TS stream ffmpeg must probe for seconds) comes
 * online instead of being restarted from scratch each time; once online the stall timeout applies; and
 * the burst a capture hands over after probing does not read as the camera's frame rate.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SourceSink } from '../../src/media/index.js';
import { SourceSupervisor } from '../../src/hub/supervisor.js';
import type { FrameSource } from '../../src/sources/source.js';
import { jpegUnit, ffmpegJpeg, quietLogger, sleep, waitFor } from '../support/index.js';

const JPEG = ffmpegJpeg(64, 48);

class HandSource implements FrameSource {
  starts = 0;
  sink: SourceSink | undefined;
  start(sink: SourceSink): void {
    this.starts++;
    this.sink = sink;
  }
  async stop(): Promise<void> {
    this.sink = undefined;
  }
}

function supervisor(source: FrameSource, firstFrameTimeoutMs?: number) {
  const states: string[] = [];
  const sup = new SourceSupervisor(
    {
      id: 'slow',
      alwaysOn: true,
      idleGraceMs: 60_000,
      stallTimeoutMs: 300,
      ...(firstFrameTimeoutMs ? { firstFrameTimeoutMs } : {}),
      backoffInitialMs: 50,
      backoffMaxMs: 50,
    },
    source,
    { hasDemand: () => true, unit: () => {}, changed: (state) => states.push(state) },
    quietLogger(),
  );
  return { sup, states };
}

describe('SourceSupervisor: the first frame', () => {
  it('waits longer than the stall timeout for a run’s first unit, then applies the stall timeout', async () => {
    const source = new HandSource();
    const { sup, states } = supervisor(source);
    sup.init();
    try {
      await sleep(900); // three stall timeouts
      assert.equal(source.starts, 1, 'not restarted while the first unit is awaited');
      assert.deepEqual(states, []);
      source.sink!.unit(jpegUnit(JPEG));
      assert.equal(sup.state, 'online');
      await waitFor(() => sup.state === 'offline', 5000, 'a stall once online');
      assert.match(sup.failure!.reason, /stalled: no frame for 0.3s/);
    } finally {
      await sup.close();
    }
  });

  it('gives up on a first unit after firstFrameTimeoutMs, saying so', async () => {
    const source = new HandSource();
    const { sup } = supervisor(source, 400);
    sup.init();
    try {
      await waitFor(() => sup.state === 'offline', 5000, 'the first-frame timeout');
      assert.match(sup.failure!.reason, /no first frame within 0.4s/);
    } finally {
      await sup.close();
    }
  });

  it('reads no frame rate from the burst a capture hands over after probing', async () => {
    const source = new HandSource();
    const { sup } = supervisor(source);
    sup.init();
    try {
      // 100 buffered units at once, then 10 a second.
      for (let i = 0; i < 100; i++) source.sink!.unit(jpegUnit(JPEG));
      const readings: number[] = [];
      for (let i = 0; i < 20; i++) {
        await sleep(100);
        source.sink!.unit(jpegUnit(JPEG));
        readings.push(sup.fps());
      }
      assert.ok(Math.max(...readings) < 30, `readings ${readings.join(', ')}`);
      assert.ok(readings.at(-1)! > 5, `readings ${readings.join(', ')}`);
    } finally {
      await sup.close();
    }
  });
});
