/** Finding out what a camera sends: waiting on the h265 track (which starts only the source), then settling. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CameraStatus, Consumer } from '../../src/hub/consumer.js';
import { NativeCodec } from '../../src/hub/native-codec.js';
import type { Codec } from '../../src/media/index.js';

/** A camera's subscribe as NativeCodec sees it: who is on which track now. */
function tracksOf(): { on: Map<Consumer, Codec>; subscribe: (consumer: Consumer, codec: Codec) => () => void } {
  const on = new Map<Consumer, Codec>();
  return {
    on,
    subscribe: (consumer, codec) => {
      on.set(consumer, codec);
      return () => {
        if (on.get(consumer) === codec) on.delete(consumer);
      };
    },
  };
}

describe('NativeCodec', () => {
  it('known(): waits on the h265 track until a unit tells, then leaves it', async () => {
    const { on, subscribe } = tracksOf();
    const native = new NativeCodec(subscribe);
    const known = native.known(5000, true);
    assert.deepEqual([...on.values()], ['h265'], 'waiting on the track nothing derives');
    native.learn('h264');
    assert.equal(await known, 'h264');
    assert.equal(on.size, 0);
    assert.equal(await native.known(5000, true), 'h264', 'known: at once');
  });

  it('known(): undefined when the camera goes offline first, or nothing tells in time, or it may not wait', async () => {
    const { on, subscribe } = tracksOf();
    const native = new NativeCodec(subscribe);
    const known = native.known(5000, true);
    const waiting = [...on.keys()][0]!;
    waiting.onStatus?.({ online: false, since: Date.now(), reason: 'gone' } satisfies CameraStatus);
    assert.equal(await known, undefined);
    assert.equal(await native.known(30, true), undefined, 'timed out');
    assert.equal(await native.known(5000, false), undefined, 'not waited for');
    assert.equal(on.size, 0);
  });

  it('subscribeVideo(): onto the H.264 track once the camera turns out not to send H.265', () => {
    const { on, subscribe } = tracksOf();
    const native = new NativeCodec(subscribe);
    const recorder: Consumer = { onUnit: () => {} };
    const off = native.subscribeVideo(recorder);
    assert.equal(on.get(recorder), 'h265');
    native.learn('jpeg');
    assert.equal(on.get(recorder), 'h264', 'a JPEG camera’s video is its H.264 encoder’s');
    off();
    assert.equal(on.has(recorder), false);
    // An H.265 camera: it stays where it is.
    const h265 = new NativeCodec(subscribe);
    const other: Consumer = { onUnit: () => {} };
    h265.subscribeVideo(other);
    h265.learn('h265');
    assert.equal(on.get(other), 'h265');
    const later: Consumer = { onUnit: () => {} };
    h265.subscribeVideo(later);
    assert.equal(on.get(later), 'h265', 'known already: straight onto its track');
  });
});
