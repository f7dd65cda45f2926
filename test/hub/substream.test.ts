/** The camera's own sub-stream as a producer: read only while its track has consumers, H.264 passed through. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Consumer } from '../../src/hub/consumer.js';
import { Substream } from '../../src/hub/substream.js';
import { Track } from '../../src/hub/track.js';
import type { AccessUnit } from '../../src/media/index.js';
import { jpegConfig } from '../../src/media/jpeg.js';
import { h264Config, ScriptedSource } from '../support/hub.js';
import { quietLogger, waitFor } from '../support/index.js';

const OPTIONS = { id: 'cam', alwaysOn: false, idleGraceMs: 50, stallTimeoutMs: 5000 };

describe('Substream', () => {
  it('starts its source for the first consumer, passes H.264 through, ignores another codec, stops when unwanted', async () => {
    const source = new ScriptedSource();
    const track = new Track('h264', 'cam', quietLogger(), undefined, undefined, 'sub');
    const sub = new Substream(track, source, OPTIONS, quietLogger());
    assert.deepEqual([sub.origin, sub.available, sub.live, sub.encoder], ['native', true, false, undefined]);
    assert.equal(source.starts, 0, 'nothing read before anyone wants it');

    const got: AccessUnit[] = [];
    const viewer: Consumer = { onUnit: (unit) => void got.push(unit) };
    track.consumers.add(viewer);
    sub.wanted();
    assert.equal(source.starts, 1);
    source.emit({ config: jpegConfig(32, 24), keyframe: true, data: Buffer.alloc(10) });
    assert.equal(got.length, 0, 'a JPEG sub-stream is a configuration mistake: not used');
    source.emit({ config: h264Config(640, 360), keyframe: true, data: Buffer.alloc(10) });
    assert.equal(got.length, 1);
    assert.deepEqual([sub.live, sub.encoder], [true, 'camera'], 'passed through: made by the camera');

    track.consumers.delete(viewer);
    sub.unwanted();
    await waitFor(() => source.stops === 1, 2000, 'the source stopped after the idle grace');
    assert.equal(sub.live, false);
    await sub.close();
  });
});
