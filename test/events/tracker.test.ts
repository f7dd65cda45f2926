/** The event tracker: persistence before a start, the quiet period before an end, updates. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventTracker, type TrackerStep } from '../../src/events/tracker.js';

const timing = { minDurationMs: 1000, endAfterMs: 10_000, preRollMs: 5000, postRollMs: 5000 };
const obs = (at: number, motion: boolean, score = 0.2, zones: string[] = []) => ({
  camera: 'cam',
  at,
  motion,
  score,
  zones,
});
const types = (steps: TrackerStep[]) => steps.map((s) => s.type);

describe('event tracker', () => {
  it('starts once motion lasts min_duration, at the time the motion began', () => {
    const t = new EventTracker(timing);
    assert.deepEqual(types(t.observe(obs(1000, true))), []);
    assert.deepEqual(types(t.observe(obs(1500, true))), []);
    const steps = t.observe(obs(2000, true));
    assert.deepEqual(types(steps), ['start']);
    assert.equal(steps[0]!.episode.start, 1000);
  });

  it('a still picture before min_duration starts the count again', () => {
    const t = new EventTracker(timing);
    t.observe(obs(1000, true));
    t.observe(obs(1800, false));
    assert.deepEqual(types(t.observe(obs(2100, true))), []);
    assert.deepEqual(types(t.observe(obs(2900, true))), []);
    const steps = t.observe(obs(3100, true));
    assert.deepEqual(types(steps), ['start']);
    assert.equal(steps[0]!.episode.start, 2100);
  });

  it('ends end_after past the last motion, with that motion as its end; stillness in between does not end it', () => {
    const t = new EventTracker(timing);
    t.observe(obs(0, true));
    t.observe(obs(1000, true));
    t.observe(obs(5000, false));
    t.observe(obs(6000, true)); // motion again within end_after
    assert.equal(t.tick(15_999), undefined);
    const end = t.tick(16_000);
    assert.equal(end?.type, 'end');
    assert.equal(end?.type === 'end' && end.end, 6000);
    assert.equal(t.active, undefined);
  });

  it('tells a higher peak at most once a second, a new zone at once, and keeps the zones', () => {
    const t = new EventTracker(timing);
    t.observe(obs(0, true, 0.1));
    t.observe(obs(1000, true, 0.1)); // start
    assert.deepEqual(types(t.observe(obs(1200, true, 0.5))), [], 'a higher peak within the second waits');
    const later = t.observe(obs(2100, true, 0.5));
    assert.deepEqual(types(later), ['update']);
    assert.equal(later[0]!.episode.peak, 0.5);
    const zone = t.observe(obs(2200, true, 0.3, ['door']));
    assert.deepEqual(types(zone), ['update']);
    assert.deepEqual([...zone[0]!.episode.zones], ['door']);
    assert.deepEqual(types(t.observe(obs(2300, true, 0.3, ['door']))), []);
  });

  it('min_duration 0 starts at the first motion; a bad score counts as 0', () => {
    const t = new EventTracker({ ...timing, minDurationMs: 0 });
    const steps = t.observe(obs(5, true, Number.NaN));
    assert.deepEqual(types(steps), ['start']);
    assert.equal(steps[0]!.episode.peak, 0);
  });
});
