/**
 * A derived track's transcoder restarts: never two processes of one track at once (the old one is
 * awaited), restarts for a new configuration spaced out with backoff (a source that changes its
 * configuration on every frame costs a restart now and then, not one per frame), and each run takes a
 * slot of the hub-wide pool, a track without a free one waiting until one is given back. The transcoders
 * are stand-ins whose stop resolves when the test says their process exited: what is tested is the track.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DerivedTrack, type Transcoder, type TranscoderFactory } from '../../src/hub/derived-track.js';
import { Track } from '../../src/hub/track.js';
import { TranscoderSlots } from '../../src/hub/transcoder-slots.js';
import type { AccessUnit, TrackConfig } from '../../src/media/index.js';
import { arrivalTimes, quietLogger, sleep } from '../support/index.js';
import { h264Config } from '../support/hub.js';

/** Transcoders whose stop() resolves only once exit() is called: `alive` counts those not yet exited. */
function slowTranscoders(): {
  factory: TranscoderFactory;
  alive: () => number;
  most: () => number;
  exitAll(): void;
  /** The configuration of the first unit each transcoder was given. */
  firsts: TrackConfig[];
} {
  const firsts: TrackConfig[] = [];
  let alive = 0;
  let most = 0;
  const exits: (() => void)[] = [];
  const factory: TranscoderFactory = () => {
    alive++;
    most = Math.max(most, alive);
    let exited: Promise<void> | undefined;
    let pushed = 0;
    const transcoder: Transcoder = {
      start: () => {},
      push: (u) => {
        if (pushed++ === 0) firsts.push(u.config);
      },
      stop: () =>
        (exited ??= new Promise<void>((resolve) =>
          exits.push(() => {
            alive--;
            resolve();
          }),
        )),
    };
    return transcoder;
  };
  return {
    factory,
    alive: () => alive,
    most: () => most,
    exitAll: () => exits.splice(0).forEach((exit) => exit()),
    firsts,
  };
}

const A = h264Config(320, 240);
const B = h264Config(352, 288);
const unit = (config: TrackConfig): AccessUnit => ({
  config,
  keyframe: true,
  data: Buffer.alloc(8),
  seq: 0,
  ...arrivalTimes(0),
  placeholder: false,
});

function derived(factory: TranscoderFactory, slots?: TranscoderSlots, camera = 'cam'): DerivedTrack {
  const log = quietLogger();
  const track = new Track('jpeg', camera, log);
  track.consumers.add({ onUnit: () => {} });
  return new DerivedTrack(track, factory, 1000, camera, log, () => true, undefined, slots?.pool('edge'));
}

describe('derived track restarts', () => {
  it('a configuration on every frame: one process at a time, the old one awaited, restarts spaced out', async () => {
    const fake = slowTranscoders();
    const d = derived(fake.factory);
    for (let i = 0; i < 40; i++) {
      d.feed(unit(i % 2 ? B : A));
      // The previous process exits a moment after it was told to stop (as ffmpeg does).
      await new Promise((resolve) => setImmediate(resolve));
      fake.exitAll();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(fake.most(), 1, 'never two transcoders of the track alive at once');
    // The first restart is at once; the next waits 250 ms, then longer: 40 changes in a moment, few starts.
    assert.ok(d.starts <= 3, `${d.starts} transcoders started for 40 configuration changes`);
    const closed = d.close();
    fake.exitAll();
    await closed;
  });

  it('a configuration that arrives while a restart waits replaces it: the next start takes the newest', async () => {
    const fake = slowTranscoders();
    const d = derived(fake.factory);
    d.feed(unit(A));
    d.feed(unit(B)); // restart at once, but the old process has not exited yet
    assert.equal(d.starts, 1, 'nothing new starts before the old process exits');
    fake.exitAll();
    await sleep(10);
    d.feed(unit(B));
    assert.equal(d.starts, 2, 'started once the old process was gone');
    d.feed(unit(A)); // the second restart waits 250 ms
    fake.exitAll();
    await sleep(10);
    d.feed(unit(B));
    d.feed(unit(A));
    assert.equal(d.starts, 2, 'still waiting');
    await sleep(300);
    d.feed(unit(B));
    assert.equal(d.starts, 3, 'started after the wait');
    assert.deepEqual(fake.firsts, [A, B, B], 'each start with the configuration of the unit that came after the wait');
    const closed = d.close();
    fake.exitAll();
    await closed;
  });

  it('takes a slot of the hub-wide pool per run, and waits without one until it is given back', async () => {
    const slots = new TranscoderSlots(2); // edges' share: 1
    const fake = slowTranscoders();
    const first = derived(fake.factory, slots, 'one');
    const second = derived(fake.factory, slots, 'two');
    first.feed(unit(A));
    second.feed(unit(A));
    assert.equal(first.starts, 1);
    assert.equal(second.starts, 0, 'no slot left in the edges share');
    assert.equal(second.unavailable, true);
    assert.equal(slots.inUse, 1);
    const stopped = first.stop();
    second.feed(unit(A));
    assert.equal(second.starts, 0, 'the slot is held until the process has exited');
    fake.exitAll();
    await stopped;
    assert.equal(slots.inUse, 0);
    second.feed(unit(A));
    assert.equal(second.starts, 1, 'started once the slot was free');
    assert.equal(second.unavailable, false);
    const closed = second.close();
    fake.exitAll();
    await closed;
    assert.equal(slots.inUse, 0);
  });
});
