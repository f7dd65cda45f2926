/** What the API says of a camera's tracks and of its sub-stream, from a camera with real tracks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CameraStream, type CameraStreamOptions } from '../../src/hub/camera-stream.js';
import type { Consumer } from '../../src/hub/consumer.js';
import { fakeTranscoders, h264Config, ScriptedSource } from '../support/hub.js';
import { quietLogger } from '../support/index.js';

function camera(source: ScriptedSource, overrides: Partial<CameraStreamOptions> = {}): CameraStream {
  return new CameraStream(
    {
      id: 'cam',
      name: 'Cam',
      kind: 'test',
      alwaysOn: false,
      idleGraceMs: 100,
      stallTimeoutMs: 5000,
      snapshotTimeoutMs: 500,
      ...overrides,
    },
    source,
    async () => Buffer.alloc(0),
    quietLogger(),
  );
}

describe('camera report', () => {
  it('lists the main tracks it can make; a smaller one only while wanted or made', async (t) => {
    const source = new ScriptedSource();
    const { factory } = fakeTranscoders();
    const cam = camera(source, { transcoders: factory });
    const viewer: Consumer = { onUnit: () => {} };
    t.after(() => cam.close());
    const offMain = cam.subscribe(viewer, 'h264');
    // One configuration object: another one (even of the same size) is a new configuration.
    const config = h264Config(1280, 720);
    source.emit({ config, keyframe: true, data: Buffer.alloc(500) });
    const before = cam.trackInfo();
    assert.deepEqual(
      before.map((t) => [t.codec, t.quality, t.origin, t.running]),
      [
        ['jpeg', 'main', 'derived', false],
        ['h264', 'main', 'native', true],
      ],
      'no h265 (nothing makes it), no smaller stream (nobody asked)',
    );
    const h264 = before[1]!;
    assert.deepEqual([h264.encoder, h264.width, h264.units, h264.bytes, h264.consumers], ['camera', 1280, 1, 500, 1]);
    assert.equal(before[0]!.encoder, null, 'what makes a track is said only while it runs');

    const offLow = cam.subscribe(viewer, 'h264', 'low');
    source.emit({ config, keyframe: true, data: Buffer.alloc(500) });
    const low = cam.trackInfo().find((t) => t.quality === 'low');
    // Started from the main track's cached keyframe, then given the next one.
    assert.deepEqual(low && [low.codec, low.origin, low.running, low.consumers, low.units], [
      'h264',
      'derived',
      true,
      1,
      2,
    ]);
    assert.equal(cam.viewers().length, 0, 'a consumer without statistics is no viewer');
    assert.equal(cam.info().substream, 'transcoder', 'an H.264 camera’s sub-stream is transcoded');
    assert.equal(cam.info().codec, 'h264');
    offLow();
    offMain();
    await cam.close();
  });

  it('says where the sub-stream comes from: the camera’s own URL, an encoder, or none', async () => {
    const jpegCamera = camera(new ScriptedSource(), { transcoders: fakeTranscoders().factory });
    assert.equal(jpegCamera.info().substream, null, 'not before the camera’s codec is known');
    const own = camera(new ScriptedSource(), { substream: new ScriptedSource() });
    assert.equal(own.info().substream, 'camera');
    const none = camera(new ScriptedSource());
    assert.equal(none.hasSub, false);
    await Promise.all([jpegCamera.close(), own.close(), none.close()]);
  });
});
