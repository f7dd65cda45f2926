/**
 * The adaptive viewer's decisions (src/outputs/ws/adaptation.ts), pure, on a fake clock: a simulated link
 * of a given rate carrying the level's stream, sampled every 50 ms as the viewer would from its acks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GOP_QUEUE_AGE_MS } from '../../../src/stream/send-queue.js';
import {
  EVALUATE_MS,
  MAX_UP_HOLD_MS,
  QualityController,
  UP_CONFIRM_MS,
  UP_HOLD_MS,
  type Level,
  type LinkSample,
} from '../../../src/outputs/ws/adaptation.js';

const RATES = { mainKbps: 2000, subKbps: 400 };
const KEYFRAMES_KBPS = 200;

/**
 * A link of `kbps` (changeable) carrying what the controller's level sends: the stream's rate when it fits
 * (acks come back at once, keyframes measure the link's rate in bursts), else the link's rate with a queue
 * that grows (the oldest unacked unit waits longer and longer, and past 1.5 s the queue skips).
 */
class Link {
  now = 0;
  acked = 0;
  skips = 0;
  backlogMs = 0;
  readonly moves: { at: number; to: Level }[] = [];
  readonly sample: LinkSample = { now: 0, ackedBytes: 0, keyframeSkips: 0, oldestUnackedMs: 0 };

  constructor(
    readonly controller: QualityController,
    public kbps: number,
  ) {}

  /** Runs for `ms`, in 50 ms steps. */
  run(ms: number): void {
    for (const end = this.now + ms; this.now < end;) {
      this.now += 50;
      const level = this.controller.level;
      const offered = level === 'main' ? RATES.mainKbps : level === 'sub' ? RATES.subKbps : KEYFRAMES_KBPS;
      const carried = Math.min(offered, this.kbps);
      this.acked += (carried * 50) / 8;
      // Queue delay grows by the excess over the link's rate; drains when the link is faster.
      this.backlogMs = Math.max(0, this.backlogMs + (50 * (offered - this.kbps)) / this.kbps);
      // What a viewer's send queue does with a unit that waited too long: skip to the next keyframe.
      if (this.backlogMs > GOP_QUEUE_AGE_MS) {
        this.skips++;
        this.backlogMs = 0;
      }
      this.controller.rtt(5 + this.backlogMs, this.now);
      // A keyframe a second: its bytes, over the time the link takes to carry them.
      if (this.now % 1000 === 0) {
        const bytes = (offered * 1000) / 8 / 4;
        this.controller.burst(bytes, 5 + this.backlogMs + (bytes * 8) / this.kbps, this.now);
      }
      this.sample.now = this.now;
      this.sample.ackedBytes = this.acked;
      this.sample.keyframeSkips = this.skips;
      this.sample.oldestUnackedMs = this.backlogMs > 0 ? this.backlogMs + 5 : 0;
      const to = this.controller.update(this.sample, RATES);
      if (to !== undefined) this.moves.push({ at: this.now, to });
    }
  }
}

describe('adaptation decisions', () => {
  it('stays on main while the link carries it', () => {
    const link = new Link(new QualityController('main', 0), 8000);
    link.run(30_000);
    assert.deepEqual(link.moves, []);
    assert.equal(link.controller.level, 'main');
  });

  it('moves down within 3 s of a drop, to what the link carries', () => {
    const link = new Link(new QualityController('main', 0), 8000);
    link.run(5000);
    link.kbps = 1000;
    link.run(10_000);
    assert.equal(link.moves[0]?.to, 'sub', JSON.stringify(link.moves));
    assert.ok(link.moves[0]!.at - 5000 <= 3000, `down after ${link.moves[0]!.at - 5000} ms`);
    assert.equal(link.controller.level, 'sub', 'and stays there: the link carries the sub-stream');
    assert.equal(link.moves.length, 1, `no flapping: ${JSON.stringify(link.moves)}`);
  });

  it('goes straight to keyframes when even the sub-stream does not fit', () => {
    const link = new Link(new QualityController('main', 0), 8000);
    link.run(5000);
    link.kbps = 300;
    link.run(3000);
    // A link six times too slow skips at once, before its rate is measured: one level, then the next.
    assert.equal(link.controller.level, 'keyframes', JSON.stringify(link.moves));
    assert.ok(link.moves.at(-1)!.at - 5000 <= 3000, JSON.stringify(link.moves));
  });

  it('moves back up within 10 s once the link recovers, in one step', () => {
    const link = new Link(new QualityController('main', 0), 8000);
    link.run(5000);
    link.kbps = 300;
    link.run(15_000);
    assert.equal(link.controller.level, 'keyframes');
    const before = link.moves.length;
    link.kbps = 8000;
    link.run(15_000);
    const up = link.moves.slice(before);
    assert.deepEqual(
      up.map((m) => m.to),
      ['main'],
      `recovered in one step: ${JSON.stringify(up)}`,
    );
    assert.ok(up[0]!.at - 20_000 <= 10_000, `up after ${up[0]!.at - 20_000} ms`);
    assert.ok(up[0]!.at - 20_000 >= UP_CONFIRM_MS, 'not before the capacity has been seen for a while');
  });

  it('8 → 1 → 8 Mbit/s: main, sub, main', () => {
    const link = new Link(new QualityController('main', 0), 8000);
    link.run(5000);
    link.kbps = 1000;
    link.run(15_000);
    link.kbps = 8000;
    link.run(15_000);
    assert.deepEqual(
      link.moves.map((m) => m.to),
      ['sub', 'main'],
    );
  });

  it('a keyframe skip moves down at once', () => {
    const controller = new QualityController('main', 0);
    // Past the start's settling (the catch-up's own burst).
    const sample: LinkSample = { now: 2000, ackedBytes: 250_000, keyframeSkips: 0, oldestUnackedMs: 0 };
    assert.equal(controller.update(sample, RATES), undefined);
    sample.now = 2300;
    sample.keyframeSkips = 1;
    assert.equal(controller.update(sample, RATES), 'keyframes', 'no capacity measured: the lowest level');
  });

  it('hysteresis: a link just below the margin does not flap, and a failed move up doubles the hold', () => {
    // 2600 kbit/s: main (2000) fits, but not by the 1.4 margin: once down, it stays down.
    const link = new Link(new QualityController('sub', 0), 2600);
    link.run(60_000);
    assert.deepEqual(link.moves, [], JSON.stringify(link.moves));
    // A move up into a link that cannot take it: down again, and the next try waits longer.
    const controller = new QualityController('keyframes', 0);
    const sample: LinkSample = { now: 0, ackedBytes: 0, keyframeSkips: 0, oldestUnackedMs: 0 };
    let now = 0;
    // The link carries 3.2 Mbit/s throughout: enough for the sub-stream, not for main with a margin.
    const step = (ms: number, oldest = 0, acked = 20_000): Level | undefined => {
      let last: Level | undefined;
      for (const end = now + ms; now < end;) {
        now += 50;
        sample.now = now;
        sample.ackedBytes += acked;
        sample.oldestUnackedMs = oldest;
        if (now % 1000 === 0) controller.burst(400_000, 60, now); // bursts say 50 Mbit/s
        last = controller.update(sample, RATES) ?? last;
      }
      return last;
    };
    assert.equal(step(UP_HOLD_MS + 500), 'main');
    assert.equal(step(1000, 2000), 'sub', 'congested right after: down');
    const at = now;
    let upAt = 0;
    for (let i = 0; i < 400 && !upAt; i++) if (step(50) === 'main') upAt = now;
    assert.ok(upAt - at >= 2 * UP_HOLD_MS - 1000, `second try after ${upAt - at} ms`);
    assert.ok(upAt - at <= MAX_UP_HOLD_MS + EVALUATE_MS);
  });

  it('a quiet camera on keyframes, calm link, no burst to measure: probes main within 10 s', () => {
    // 100 kbit/s main, 60 kbit/s sub: keyframes of 1 KB every 2 s, acked at once; no unit big enough for a burst.
    const rates = { mainKbps: 100, subKbps: 60 };
    const controller = new QualityController('keyframes', 0);
    const sample: LinkSample = { now: 0, ackedBytes: 0, keyframeSkips: 0, oldestUnackedMs: 0 };
    let up: number | undefined;
    for (let now = 50; now <= 20_000 && up === undefined; now += 50) {
      if (now % 2000 === 0) {
        controller.rtt(2, now, 1000);
        controller.burst(1000, 2, now); // too small to count
        sample.ackedBytes += 1000;
      }
      sample.now = now;
      if (controller.update(sample, rates) === 'main') up = now;
    }
    assert.ok(up !== undefined && up <= 10_000, `main after ${up} ms`);
  });

  it('on low, a calm link whose units are too small to measure still tries the level above, however big', () => {
    // A 2.4 Mbit/s camera: sub 400 kbit/s (above the probe budget of a 100 kbit/s low), low's units ~2 KB.
    const rates = { mainKbps: 2400, subKbps: 400, lowKbps: 100 };
    const controller = new QualityController('low', 0);
    const sample: LinkSample = { now: 0, ackedBytes: 0, keyframeSkips: 0, oldestUnackedMs: 0 };
    let up: { at: number; to: Level } | undefined;
    for (let now = 50; now <= 20_000 && up === undefined; now += 50) {
      if (now % 100 === 0) {
        controller.rtt(2, now, 1250);
        sample.ackedBytes += 1250; // 100 kbit/s, each unit acked at once
      }
      sample.now = now;
      const to = controller.update(sample, rates);
      if (to) up = { at: now, to };
    }
    assert.deepEqual(up && up.to, 'sub', `moved ${JSON.stringify(up)}`);
    assert.ok(up!.at <= 10_000, `sub after ${up!.at} ms`);
  });

  it('a probe that meets congestion falls back to what the link carried and waits longer before the next', () => {
    const rates = { mainKbps: 100, subKbps: 60 };
    const controller = new QualityController('keyframes', 0);
    const sample: LinkSample = { now: 0, ackedBytes: 0, keyframeSkips: 0, oldestUnackedMs: 0 };
    let now = 0;
    const moves: { at: number; to: Level }[] = [];
    const run = (ms: number, oldest: number, ackedPerStep: number): Level[] => {
      const from = moves.length;
      for (const end = now + ms; now < end;) {
        now += 50;
        sample.now = now;
        sample.ackedBytes += ackedPerStep;
        sample.oldestUnackedMs = oldest;
        const to = controller.update(sample, rates);
        if (to) moves.push({ at: now, to });
      }
      return moves.slice(from).map((m) => m.to);
    };
    assert.deepEqual(run(UP_HOLD_MS + 500, 0, 10), ['main'], 'probed');
    // 40 kbit/s carried (250 B per 50 ms) while units wait: the link is full, and cannot carry main.
    assert.deepEqual(run(1000, 1000, 250), ['keyframes']);
    const downAt = moves.at(-1)!.at;
    assert.deepEqual(run(3 * MAX_UP_HOLD_MS, 0, 10).slice(0, 1), ['main'], 'probes again');
    const wait = moves.find((m) => m.at > downAt)!.at - downAt;
    assert.ok(
      wait >= 2 * UP_HOLD_MS - EVALUATE_MS && wait <= MAX_UP_HOLD_MS + EVALUATE_MS,
      `next probe after ${wait} ms`,
    );
  });

  it('the first rates reported replace the defaults; a sub-stream is never taken as bigger than main', () => {
    // A 100 kbit/s camera whose sub-stream reports nothing yet, congested at 120 kbit/s: the sub-stream fits.
    const controller = new QualityController('main', 0);
    const sample: LinkSample = { now: 2000, ackedBytes: 0, keyframeSkips: 0, oldestUnackedMs: 0 };
    const rates = { mainKbps: 100, subKbps: 0 };
    assert.equal(controller.update(sample, rates), undefined);
    sample.now = 2300;
    sample.ackedBytes = (120 * 300) / 8;
    sample.oldestUnackedMs = 400;
    assert.equal(controller.update(sample, rates), undefined);
    sample.now = 2600;
    sample.ackedBytes += (120 * 300) / 8;
    assert.equal(controller.update(sample, rates), 'sub');
  });
});
