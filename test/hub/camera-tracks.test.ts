/** A camera's tracks by codec and quality: which producer makes each, what is fed to which, the rungs' bitrates. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CameraTracks, type CameraTracksOptions } from '../../src/hub/camera-tracks.js';
import { Capture } from '../../src/hub/capture.js';
import type { Consumer } from '../../src/hub/consumer.js';
import { Substream } from '../../src/hub/substream.js';
import type { TranscoderFactory } from '../../src/hub/derived-track.js';
import { preciseNow } from '../../src/hub/consumer.js';
import type { AccessUnit, Codec } from '../../src/media/index.js';
import { fakeTranscoders, h264Config, ScriptedSource } from '../support/hub.js';
import { quietLogger } from '../support/index.js';

const SUPERVISOR = { id: 'cam', alwaysOn: false, idleGraceMs: 100, stallTimeoutMs: 5000 };
const MAIN = h264Config(1280, 720);

function table(
  native: () => Codec | undefined,
  options: Partial<CameraTracksOptions> & { transcoders?: TranscoderFactory } = {},
): { tracks: CameraTracks; capture: Capture } {
  const log = quietLogger();
  const capture = new Capture(
    new ScriptedSource(),
    SUPERVISOR,
    { hasDemand: () => false, unit: () => {}, changed: () => {} },
    log,
  );
  const tracks = new CameraTracks(
    { id: 'cam', idleGraceMs: 100, supervisor: SUPERVISOR, ...options },
    capture,
    { native, online: () => true, broken: () => {} },
    log,
  );
  return { tracks, capture };
}

function collect(tracks: CameraTracks, codec: Codec, quality: 'main' | 'sub' | 'low' = 'main'): AccessUnit[] {
  const got: AccessUnit[] = [];
  const consumer: Consumer = { onUnit: (unit) => void got.push(unit) };
  const entry = tracks.get(codec, quality);
  entry.track.consumers.add(consumer);
  tracks.producerOf(entry)?.wanted([]);
  return got;
}

describe('CameraTracks', () => {
  it('keys tracks by codec and quality: only H.264 has smaller ones', () => {
    const { tracks } = table(() => undefined);
    assert.deepEqual(
      tracks.all().map((e) => `${e.codec}/${e.quality}`),
      ['jpeg/main', 'h264/main', 'h265/main', 'h264/sub', 'h264/low'],
    );
    assert.equal(tracks.get('h264', 'low').quality, 'low');
    assert.equal(tracks.get('jpeg', 'sub'), tracks.get('jpeg'), 'a JPEG viewer asking for sub gets main');
    assert.equal(tracks.get('h265', 'low'), tracks.get('h265'));
  });

  it('the capture makes the native track, transcoders the others; nothing makes another camera’s H.265', () => {
    let native: Codec | undefined;
    const { factory } = fakeTranscoders();
    const { tracks, capture } = table(() => native, { transcoders: factory });
    assert.equal(tracks.producerOf(tracks.get('h264'))?.origin, 'derived', 'before the first unit: a transcoder');
    native = 'h264';
    assert.equal(tracks.producerOf(tracks.get('h264')), capture);
    assert.equal(tracks.producerOf(tracks.get('jpeg'))?.origin, 'derived');
    assert.equal(tracks.producerOf(tracks.get('h265')), undefined);
    assert.equal(tracks.has('h265'), false);
    assert.equal(tracks.has('h264', 'sub'), true);
    assert.equal(tracks.has('h264', 'low'), true);
    native = 'h265';
    assert.equal(tracks.producerOf(tracks.get('h265')), capture);
    assert.equal(tracks.has('h265'), true);
  });

  it('an H.264 camera’s own times are not paced, even with a transcoder factory (a B-frame camera’s first GOP)', () => {
    const { factory } = fakeTranscoders();
    const { tracks } = table(() => 'h264', { transcoders: factory });
    const got = collect(tracks, 'h264');
    // What ffmpeg gives a B-frame camera's first GOP (dts guessed 1 tick apart), then steady 30 fps with
    // composition offsets: 40 units, so a pacer would have had its window (30) and bent what follows.
    const source: { pts: number; dts: number }[] = [
      { pts: 0, dts: 0 },
      { pts: 9000, dts: 3000 },
      { pts: 3001, dts: 3001 },
      { pts: 6000, dts: 3002 },
    ];
    // From there on, frame by frame.
    for (let i = 2; i < 40; i++) source.push({ pts: i * 3000 + (i % 3 === 1 ? 6000 : 0), dts: i * 3000 });
    const start = preciseNow();
    source.forEach((time, i) =>
      tracks.publishNative(
        { config: MAIN, keyframe: i === 0, data: Buffer.from([0, 0, 1, 0x65]), ...time },
        start + i * 40,
      ),
    );
    assert.equal(got.length, source.length);
    const steps = got.slice(1).map((u, i) => u.dts - got[i]!.dts);
    assert.deepEqual(
      steps,
      source.slice(1).map((t, i) => t.dts - source[i]!.dts),
      'the camera’s decode steps, as they were',
    );
    assert.deepEqual(
      got.map((u) => u.pts - u.dts),
      source.map((t) => t.pts - t.dts),
      'and its composition offsets',
    );
  });

  it('without a transcoder factory only the native track (and the camera’s own sub-stream) can be made', () => {
    const { tracks } = table(() => 'h264');
    assert.equal(tracks.has('h264'), true);
    assert.equal(tracks.has('jpeg'), false);
    assert.equal(tracks.has('h264', 'sub'), false);
    const own = table(() => 'h264', { substream: new ScriptedSource() }).tracks;
    const sub = own.producerOf(own.get('h264', 'sub'));
    assert.ok(sub instanceof Substream);
    assert.equal(sub.origin, 'native');
    assert.equal(own.has('h264', 'sub'), true);
    assert.equal(own.has('h264', 'low'), false);
  });

  it('a native unit is published on its track and fed to the transcoders of the tracks that are wanted', () => {
    const { factory, made } = fakeTranscoders();
    const { tracks } = table(() => 'h264', { transcoders: factory });
    const main = collect(tracks, 'h264');
    const jpeg = collect(tracks, 'jpeg');
    const low = collect(tracks, 'h264', 'low');
    tracks.publishNative({ config: MAIN, keyframe: true, data: Buffer.alloc(100) }, preciseNow());
    assert.equal(main.length, 1);
    assert.deepEqual(
      made.map((m) => [m.to, m.input.from, m.input.rung?.quality, m.input.rung?.size.width]),
      [
        ['jpeg', 'h264', undefined, undefined],
        ['h264', 'h264', 'low', 1280],
      ],
      'one transcoder per wanted track, none for the native one or the unwanted sub',
    );
    assert.deepEqual([jpeg.length, low.length], [1, 1]);
    assert.equal(low[0]!.config.codec, 'h264');
  });

  it('a rung started before the main stream was measured starts again at its share once it is', async () => {
    const { factory, made } = fakeTranscoders();
    const { tracks } = table(() => 'h264', { transcoders: factory });
    const sub = collect(tracks, 'h264', 'sub');
    // 7 s of a ~100 kbit/s camera at 10 fps, a keyframe every 2 s, ending now.
    const now = preciseNow();
    for (let i = 0; i <= 70; i++) {
      const keyframe = i % 20 === 0;
      tracks.publishNative({ config: MAIN, keyframe, data: Buffer.alloc(1250) }, now - (70 - i) * 100);
    }
    // The new transcoder starts at the first keyframe after the old one has exited.
    await new Promise((resolve) => setImmediate(resolve));
    tracks.publishNative({ config: MAIN, keyframe: true, data: Buffer.alloc(1250) }, preciseNow());
    assert.equal(made.length, 2, JSON.stringify(made.map((m) => m.input.rung)));
    assert.equal(made[0]!.input.rung?.kbps, 400, 'nothing measured: the default');
    assert.equal(made[0]!.stopped, true);
    assert.equal(made[1]!.input.rung?.kbps, 50, 'half of the main stream’s 100 kbit/s');
    assert.ok(sub.length > 0);
  });
});
