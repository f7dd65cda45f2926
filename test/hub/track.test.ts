import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CameraStream } from '../../src/hub/camera-stream.js';
import type { Consumer } from '../../src/hub/consumer.js';
import { Track } from '../../src/hub/track.js';
import type { AccessUnit, TrackConfig, SourceSink } from '../../src/media/index.js';
import type { FrameSource } from '../../src/sources/source.js';
import type { Transcoder } from '../../src/hub/derived-track.js';
import { ffmpegJpeg, jpegUnit, quietLogger, waitFor } from '../support/index.js';

const SMALL: TrackConfig = { codec: 'h264', width: 64, height: 48, codecString: 'avc1.42C00A' };
const LARGE: TrackConfig = { codec: 'h264', width: 640, height: 480, codecString: 'avc1.42C01E' };

class HandSource implements FrameSource {
  sink: SourceSink | undefined;
  start(sink: SourceSink): void {
    this.sink = sink;
  }
  async stop(): Promise<void> {
    this.sink = undefined;
  }
}

function camera(source: FrameSource, maxGopBytes?: number): CameraStream {
  return new CameraStream(
    {
      id: 'cam',
      name: 'Cam',
      kind: 'test',
      alwaysOn: false,
      idleGraceMs: 200,
      stallTimeoutMs: 2000,
      snapshotTimeoutMs: 500,
      placeholderIntervalMs: 20,
      ...(maxGopBytes ? { maxGopBytes } : {}),
    },
    source,
    async () => Buffer.alloc(0),
    quietLogger(),
  );
}

const collect = (list: AccessUnit[]): Consumer => ({ onUnit: (u) => list.push(u) });

describe('Track', () => {
  it('keeps the current GOP from its keyframe, bounded in bytes: past the bound, empty until the next keyframe', () => {
    const track = new Track('h264', 'cam', quietLogger(), 1000);
    track.publish(SMALL, false, Buffer.alloc(10), 0); // before any keyframe: not cached
    assert.equal(track.cachedUnits, 0);
    track.publish(SMALL, true, Buffer.alloc(300), 1);
    track.publish(SMALL, false, Buffer.alloc(300), 2);
    assert.equal(track.cachedUnits, 2);
    track.publish(SMALL, false, Buffer.alloc(300), 3);
    track.publish(SMALL, false, Buffer.alloc(300), 4); // over 1000 bytes
    assert.equal(track.cachedUnits, 0);
    assert.ok(track.cachedBytes <= 1000);
    track.publish(SMALL, false, Buffer.alloc(10), 5);
    assert.equal(track.cachedUnits, 0, 'still waiting for a keyframe');
    track.publish(SMALL, true, Buffer.alloc(10), 6);
    assert.equal(track.cachedUnits, 1);
  });

  it('a new H.264 consumer starts at the cached keyframe and gets the rest of the GOP', async () => {
    const source = new HandSource();
    const s = camera(source);
    const first: AccessUnit[] = [];
    s.subscribe(collect(first), 'h264');
    source.sink!.unit({ config: SMALL, keyframe: false, data: Buffer.alloc(5) });
    source.sink!.unit({ config: SMALL, keyframe: true, data: Buffer.alloc(5) });
    source.sink!.unit({ config: SMALL, keyframe: false, data: Buffer.alloc(5) });
    source.sink!.unit({ config: SMALL, keyframe: false, data: Buffer.alloc(5) });
    const late: AccessUnit[] = [];
    const consumer = collect(late);
    s.subscribe(consumer, 'h264');
    s.catchUp(consumer, 'h264');
    assert.deepEqual(
      late.map((u) => u.keyframe),
      [true, false, false],
    );
    assert.equal(late[0], first[1], 'the very same unit objects');
    await s.close();
  });

  it('a configuration change reaches consumers with the first unit that needs it, never after', async () => {
    const source = new HandSource();
    const s = camera(source);
    const got: AccessUnit[] = [];
    s.subscribe(collect(got), 'h264');
    source.sink!.unit({ config: SMALL, keyframe: true, data: Buffer.alloc(5) });
    source.sink!.unit({ config: SMALL, keyframe: false, data: Buffer.alloc(5) });
    source.sink!.unit({ config: LARGE, keyframe: true, data: Buffer.alloc(5) });
    source.sink!.unit({ config: LARGE, keyframe: false, data: Buffer.alloc(5) });
    assert.deepEqual(
      got.map((u) => u.config),
      [SMALL, SMALL, LARGE, LARGE],
    );
    assert.ok(got[2]!.keyframe);
    assert.deepEqual(s.size, { width: 640, height: 480 });
    assert.equal(s.info().codec, 'h264');
    await s.close();
  });

  it('H.264 consumers get the status, never a placeholder picture; JPEG consumers get NO SIGNAL', async () => {
    const source = new HandSource();
    const s = new CameraStream(
      {
        id: 'cam',
        name: 'Cam',
        kind: 'test',
        alwaysOn: false,
        idleGraceMs: 200,
        stallTimeoutMs: 100,
        snapshotTimeoutMs: 500,
        placeholderIntervalMs: 20,
        backoffInitialMs: 5000,
      },
      source,
      async () => Buffer.from('placeholder'),
      quietLogger(),
    );
    const h264: AccessUnit[] = [];
    const jpeg: AccessUnit[] = [];
    let offline = false;
    s.subscribe({ onUnit: (u) => h264.push(u), onStatus: (st) => (offline = !st.online) }, 'h264');
    s.subscribe(collect(jpeg), 'jpeg');
    source.sink!.unit({ config: SMALL, keyframe: true, data: Buffer.alloc(5) });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(s.state, 'offline');
    assert.ok(offline);
    assert.equal(h264.length, 1, 'no placeholder on the H.264 track');
    assert.ok(jpeg.length > 0 && jpeg.every((u) => u.placeholder), 'NO SIGNAL on the JPEG track');
    await s.close();
  });

  it('a derived track runs one transcoder while it has consumers, stopped after the grace', async () => {
    const source = new HandSource();
    const made: { pushed: number; stopped: boolean; sink?: SourceSink }[] = [];
    const factory = (to: string): Transcoder => {
      assert.equal(to, 'h264');
      const t: { pushed: number; stopped: boolean; sink?: SourceSink } = { pushed: 0, stopped: false };
      made.push(t);
      return {
        start: (sink) => (t.sink = sink),
        push: (unit) => {
          t.pushed++;
          t.sink?.unit({ config: SMALL, keyframe: unit.keyframe, data: Buffer.alloc(3) });
        },
        stop: async () => {
          t.stopped = true;
        },
      };
    };
    const s = new CameraStream(
      {
        id: 'cam',
        name: 'Cam',
        kind: 'test',
        alwaysOn: false,
        idleGraceMs: 100,
        stallTimeoutMs: 5000,
        snapshotTimeoutMs: 500,
        transcoders: factory,
      },
      source,
      async () => Buffer.alloc(0),
      quietLogger(),
    );
    const jpeg = ffmpegJpeg(64, 48);
    const a: AccessUnit[] = [];
    const b: AccessUnit[] = [];
    const offA = s.subscribe(collect(a), 'h264');
    const offB = s.subscribe(collect(b), 'h264');
    for (let i = 0; i < 3; i++) source.sink!.unit(jpegUnit(jpeg));
    assert.equal(made.length, 1, 'one transcoder for two consumers');
    assert.equal(made[0]!.pushed, 3);
    assert.equal(a.length, 3);
    assert.equal(a[0], b[0], 'the same unit to both');
    assert.equal(s.native, 'jpeg');
    offA();
    offB();
    const keepJpeg = s.subscribe(collect([]), 'jpeg'); // the camera stays on; the encoder is no longer wanted
    await waitFor(() => made[0]!.stopped, 2000, 'the transcoder to stop after the grace');
    source.sink!.unit(jpegUnit(jpeg));
    assert.equal(made.length, 1, 'not restarted without H.264 consumers');
    keepJpeg();
    await s.close();
  });
});
