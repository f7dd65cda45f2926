/** The smaller H.264 streams' bitrates: capped by their defaults and by the stream above them; when to retune. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MIN_RUNG_KBPS, RETUNE_MIN_MS, RUNGS, rungKbps, shouldRetune } from '../../src/hub/rungs.js';
import { Track } from '../../src/hub/track.js';
import type { TrackConfig } from '../../src/media/index.js';
import { quietLogger } from '../support/index.js';

describe('rungs', () => {
  it('nothing measured: each rung its default, low below sub', () => {
    assert.equal(rungKbps('sub', {}), RUNGS.sub.kbps);
    assert.equal(rungKbps('low', {}), RUNGS.low.kbps);
    assert.ok(RUNGS.low.kbps < RUNGS.sub.kbps && RUNGS.low.maxWidth < RUNGS.sub.maxWidth);
  });

  it('a rung is never bigger than the stream above it, whatever that measured', () => {
    for (const main of [5, 20, 40, 100, 300, 800, 2000, 8000]) {
      const sub = rungKbps('sub', { main });
      const low = rungKbps('low', { main });
      assert.ok(sub <= main && sub <= RUNGS.sub.kbps, `sub ${sub} of main ${main}`);
      assert.ok(low <= sub && low <= RUNGS.low.kbps, `low ${low} of sub ${sub}`);
      assert.ok(sub >= Math.min(MIN_RUNG_KBPS, main), 'not starved below the floor');
    }
    // A ~100 kbit/s camera: sub at half of it, low at half of that.
    assert.deepEqual([rungKbps('sub', { main: 100 }), rungKbps('low', { main: 100 })], [50, 25]);
    // The camera's own sub-stream, measured smaller than camrelay's would be: low follows it.
    assert.equal(rungKbps('low', { main: 2000, sub: 120 }), 60);
    // ...and a measured sub-stream bigger than its cap does not lift low above the cap's share.
    assert.equal(rungKbps('low', { main: 100, sub: 500 }), 25);
  });

  it('retunes when the stream above became known or moved well away, not for small changes or too often', () => {
    assert.equal(shouldRetune(400, 50, 100, false), true, 'first measure: at once');
    assert.equal(shouldRetune(400, 380, 100, false), false, 'close enough');
    assert.equal(shouldRetune(50, 120, 1000, true), false, 'measured before: not within RETUNE_MIN_MS');
    assert.equal(shouldRetune(50, 120, RETUNE_MIN_MS, true), true);
    assert.equal(shouldRetune(50, 60, RETUNE_MIN_MS * 2, true), false);
  });
});

describe('Track.meanBitrate', () => {
  const CONFIG: TrackConfig = { codec: 'h264', width: 64, height: 48, codecString: 'avc1.42C00A' };

  it('is the mean of the last whole seconds (not the first of a run), undefined before three of them and after a gap', () => {
    const track = new Track('h264', 'cam', quietLogger());
    // 10 units a second of 1000 bytes, keyframes of 5000 bytes every 2 s: 10 kB + 4 kB every 2 s = 96 kbit/s.
    let t = 1_000_000;
    const publish = (i: number): void => {
      const keyframe = i % 20 === 0;
      track.publish(CONFIG, keyframe, Buffer.alloc(keyframe ? 5000 : 1000), t);
    };
    let i = 0;
    for (; i < 25; i++, t += 100) publish(i);
    assert.equal(track.meanBitrate(t), undefined, 'two whole seconds say too little');
    for (; i < 91; i++, t += 100) publish(i);
    const mean = track.meanBitrate(t)!;
    assert.ok(Math.abs(mean - 96_000) < 1000, `mean ${mean}`);
    assert.equal(track.meanBitrate(t + 2500), undefined, 'stopped: no measure');
    t += 5000;
    publish(i);
    assert.equal(track.meanBitrate(t), undefined, 'after a gap it starts afresh');
  });
});
