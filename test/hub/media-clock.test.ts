import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DRIFT_MS_PER_S, MAX_DISCONTINUITIES, MediaClock, type ClockStamp } from '../../src/hub/media-clock.js';

const RATE = 90_000;
const FRAME = 3000; // 30 fps at 90 kHz
const T0 = 1_780_000_000_000;

function logged(): { clock: MediaClock; lines: string[] } {
  const lines: string[] = [];
  return { clock: new MediaClock(RATE, (message) => lines.push(message)), lines };
}

/** `count` frames 1/30 s apart from source time `from`, arriving on time from `at` plus `jitter(i)` ms. */
function run(
  clock: MediaClock,
  count: number,
  from: number,
  at: number,
  jitter: (i: number) => number = () => 0,
): ClockStamp[] {
  const out: ClockStamp[] = [];
  for (let i = 0; i < count; i++) out.push(clock.stamp(at + (i * 1000) / 30 + jitter(i), from + i * FRAME));
  return out;
}

function steps(stamps: ClockStamp[]): number[] {
  return stamps.slice(1).map((s, i) => s.dts - stamps[i]!.dts);
}

describe('MediaClock', () => {
  it('keeps the source steps exactly, whatever the arrival jitter, and anchors pts at the first arrival', () => {
    const { clock, lines } = logged();
    const stamps = run(clock, 90, 123_456, T0, (i) => (i * 7919) % 40);
    assert.deepEqual(new Set(steps(stamps)), new Set([FRAME]));
    assert.equal(stamps[0]!.pts, Math.round(T0 * 90));
    assert.equal(stamps[0]!.wallTime, T0);
    // Wall time follows the media clock: evenly spaced, never after the arrival.
    for (let i = 1; i < stamps.length; i++) {
      assert.ok(Math.abs(stamps[i]!.wallTime - stamps[i - 1]!.wallTime - 1000 / 30) < 1e-3);
    }
    assert.deepEqual(lines, []);
  });

  it('without source timestamps: pts and dts are the arrival in ticks, wallTime the arrival', () => {
    const { clock } = logged();
    const a = clock.stamp(T0);
    const b = clock.stamp(T0 + 40.4);
    assert.deepEqual(a, { pts: Math.round(T0 * 90), dts: Math.round(T0 * 90), wallTime: T0 });
    assert.equal(b.pts, Math.round((T0 + 40.4) * 90));
    assert.equal(b.wallTime, T0 + 40.4);
    // Two arrivals in one tick still get increasing dts.
    const c = clock.stamp(T0 + 40.4);
    assert.equal(c.dts, b.dts + 1);
  });

  it('passes B-frame composition offsets through (pts after dts)', () => {
    const { clock, lines } = logged();
    // Decode order I P B B: dts steps by a frame, pts reordered.
    const order = [
      [2 * FRAME, 0],
      [5 * FRAME, FRAME],
      [3 * FRAME, 2 * FRAME],
      [4 * FRAME, 3 * FRAME],
    ] as const;
    const stamps = order.map(([pts, dts], i) => clock.stamp(T0 + i * 33, pts, dts));
    assert.deepEqual(
      stamps.map((s) => s.pts - s.dts),
      [2 * FRAME, 4 * FRAME, FRAME, FRAME],
    );
    assert.deepEqual(steps(stamps), [FRAME, FRAME, FRAME]);
    assert.deepEqual(lines, []);
  });

  it('a wall mapping anchored late (a probe burst) moves earlier to the first unit that arrives before it', () => {
    const { clock } = logged();
    // The first 30 frames arrive in one burst 1 s late, then on time.
    const stamps: ClockStamp[] = [];
    for (let i = 0; i < 60; i++) {
      const arrival = i < 30 ? T0 + 1000 + i * 0.1 : T0 + (i * 1000) / 30 + 5;
      stamps.push(clock.stamp(arrival, i * FRAME));
    }
    const last = stamps.at(-1)!;
    assert.ok(last.wallTime <= T0 + (59 * 1000) / 30 + 5 + 1e-3, 'never after its arrival');
    assert.ok(last.wallTime >= T0 + (59 * 1000) / 30, 'back on the arrivals');
    assert.deepEqual(new Set(steps(stamps)), new Set([FRAME]), 'media steps untouched');
  });

  it('follows a source clock slower than ours at a bounded rate', () => {
    const { clock } = logged();
    // The source says 30 fps, but frames arrive 0.2 % slower (2 ms per second).
    const stamps = run(clock, 30 * 60, 0, T0, (i) => (i * 2) / 30);
    const last = stamps.at(-1)!;
    const arrival = T0 + (1799 * 1000) / 30 + (1799 * 2) / 30;
    const lag = arrival - last.wallTime;
    assert.ok(lag >= 0, 'never after the arrival');
    // Without correction the lag would be ~120 ms; the correction is bounded by DRIFT_MS_PER_S.
    assert.ok(lag < 120 - 40 * DRIFT_MS_PER_S, `lag ${lag}`);
    assert.deepEqual(new Set(steps(stamps)), new Set([FRAME]));
  });

  it('a dts going backwards re-anchors one frame after the last, logged', () => {
    const { clock, lines } = logged();
    const first = run(clock, 10, 900_000, T0);
    const after = run(clock, 10, 0, T0 + 10_000 / 30);
    assert.equal(after[0]!.dts - first.at(-1)!.dts, FRAME, 'continues one frame on');
    assert.deepEqual(new Set(steps(after)), new Set([FRAME]));
    assert.equal(after[0]!.wallTime, T0 + 10_000 / 30, 'wall mapping re-anchored at the arrival');
    assert.deepEqual(lines, ['source timestamps jumped: re-anchored']);
    assert.equal(clock.broken, false);
  });

  it('a jump of hours re-anchors instead of leaving a gap of hours', () => {
    const { clock, lines } = logged();
    const first = run(clock, 5, 0, T0);
    const jumped = run(clock, 5, 3 * 3600 * RATE, T0 + 5000 / 30);
    assert.equal(jumped[0]!.dts - first.at(-1)!.dts, FRAME);
    assert.ok(Math.abs(jumped[0]!.wallTime - (T0 + 5000 / 30)) < 1e-3);
    assert.equal(lines.length, 1);
  });

  it('all-zero timestamps: arrival times for the rest of the run after a bounded number of lines', () => {
    const { clock, lines } = logged();
    const stamps: ClockStamp[] = [];
    for (let i = 0; i < 100; i++) stamps.push(clock.stamp(T0 + i * 40, 0, 0));
    assert.equal(clock.broken, true);
    assert.equal(lines.length, MAX_DISCONTINUITIES + 1, lines.join('\n'));
    assert.match(lines.at(-1)!, /arrival times for the rest of this run/);
    const tail = stamps.slice(10);
    assert.deepEqual(new Set(steps(tail)), new Set([40 * 90]), 'the arrival clock');
    for (const s of tail) assert.equal(s.pts, s.dts);
    // dts never went backwards through it all.
    for (const step of steps(stamps)) assert.ok(step > 0);
  });

  it('a new run anchors afresh at its arrival and its timestamps are trusted again', () => {
    const { clock } = logged();
    for (let i = 0; i < 10; i++) clock.stamp(T0 + i * 40, 0);
    assert.equal(clock.broken, true);
    clock.reset();
    const later = T0 + 60_000;
    const stamps = run(clock, 10, 5 * FRAME, later);
    assert.equal(clock.broken, false);
    assert.equal(stamps[0]!.pts, Math.round(later * 90));
    assert.deepEqual(new Set(steps(stamps)), new Set([FRAME]));
  });

  it('a new run whose arrival ticks fall before the last unit still goes forward', () => {
    const { clock } = logged();
    const first = run(clock, 10, 0, T0);
    clock.reset();
    // The wall clock stepped back 5 s (NTP) between runs.
    const second = run(clock, 3, 0, T0 - 5000);
    assert.ok(second[0]!.dts > first.at(-1)!.dts);
  });

  it('a pts before its dts is a discontinuity, not a negative composition offset', () => {
    const { clock, lines } = logged();
    run(clock, 3, 10 * FRAME, T0);
    const bad = clock.stamp(T0 + 100, 0, 13 * FRAME);
    assert.ok(bad.pts >= bad.dts);
    assert.equal(lines.length, 1);
  });

  it('never throws on non-finite input', () => {
    const { clock } = logged();
    const a = clock.stamp(T0, Number.NaN);
    const b = clock.stamp(T0 + 1, Number.POSITIVE_INFINITY, 5);
    assert.ok(b.dts > a.dts);
  });
});
