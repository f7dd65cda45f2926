import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MotionAnalyser, type AnalyserOptions } from '../../src/motion/analyser.js';
import { MASK_FILTERED, MASK_MOTION } from '../../src/motion/motion-mask.js';
import { ensureMotionClips, type MotionClip } from '../support/motion-clips.js';
import { groupEvents, scoreClip } from '../support/motion-score.js';

const W = 160;
const H = 120;

function options(more: Partial<AnalyserOptions> = {}): AnalyserOptions {
  return { width: W, height: H, fps: 5, threshold: 20, minArea: 0.0005, zones: [], ...more };
}

/** A textured scene (so that a global change is not a flat shift), `level` added, a box of `shade` where asked. */
function scene(level = 0, box?: { x: number; y: number; w: number; h: number; shade: number }): Uint8Array {
  const f = new Uint8Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      let v = 110 + 40 * Math.sin(x / 7) * Math.cos(y / 9) + level;
      if (box && x >= box.x && x < box.x + box.w && y >= box.y && y < box.y + box.h) v = box.shade;
      f[y * W + x] = Math.max(0, Math.min(255, Math.round(v)));
    }
  return f;
}

describe('MotionAnalyser', () => {
  it('a box that stays in view counts from its second picture; its pixels are MASK_MOTION', () => {
    const a = new MotionAnalyser(options());
    for (let i = 0; i < 5; i++) assert.equal(a.analyse(scene()).motion, false);
    const first = a.analyse(scene(0, { x: 40, y: 40, w: 12, h: 12, shade: 250 }));
    assert.equal(first.motion, false, 'one picture is not motion yet');
    assert.ok(first.score > 0);
    const second = a.analyse(scene(0, { x: 46, y: 40, w: 12, h: 12, shade: 250 }));
    assert.equal(second.motion, true);
    assert.ok(second.score > 0.005 && second.score < 0.03, `score ${second.score}`);
    assert.equal(a.mask[45 * W + 50], MASK_MOTION);
    assert.equal(a.mask[100 * W + 10], 0);
  });

  it('a glitch in two places far apart is never motion (persistence is about the same place)', () => {
    const a = new MotionAnalyser(options());
    for (let i = 0; i < 5; i++) a.analyse(scene());
    assert.equal(a.analyse(scene(0, { x: 5, y: 5, w: 10, h: 10, shade: 250 })).motion, false);
    assert.equal(a.analyse(scene(0, { x: 140, y: 100, w: 10, h: 10, shade: 250 })).motion, false);
  });

  it('a light switched on (the whole picture brighter) recalibrates instead of firing', () => {
    const a = new MotionAnalyser(options());
    for (let i = 0; i < 5; i++) a.analyse(scene());
    // Brighter, and harder than a shift: the bright half clips at 255.
    const lit = scene(90);
    const results = Array.from({ length: 10 }, () => a.analyse(lit));
    assert.ok(results.every((r) => !r.motion));
    // Then a box in the lit room is motion again.
    a.analyse(scene(90, { x: 40, y: 40, w: 12, h: 12, shade: 10 }));
    assert.equal(a.analyse(scene(90, { x: 44, y: 40, w: 12, h: 12, shade: 10 })).motion, true);
  });

  it('a change over a third of the picture at once is a global change: calibrating, nothing counts', () => {
    const a = new MotionAnalyser(options());
    for (let i = 0; i < 5; i++) a.analyse(scene());
    const half = scene(0, { x: 0, y: 0, w: W, h: H / 2, shade: 5 });
    const r = a.analyse(half);
    assert.equal(r.calibrating, true);
    assert.ok(r.changed > 0.35);
    assert.equal(a.analyse(half).motion, false);
  });

  it('motion in an exclude zone never counts; an include zone is named when touched', () => {
    const a = new MotionAnalyser(
      options({
        zones: [
          {
            name: 'left',
            type: 'include',
            points: [
              [0, 0],
              [0.5, 0],
              [0.5, 1],
              [0, 1],
            ],
          },
          {
            name: 'right',
            type: 'include',
            points: [
              [0.5, 0],
              [1, 0],
              [1, 1],
              [0.5, 1],
            ],
          },
          {
            name: 'corner',
            type: 'exclude',
            points: [
              [0.75, 0],
              [1, 0],
              [1, 0.5],
              [0.75, 0.5],
            ],
          },
        ],
      }),
    );
    for (let i = 0; i < 5; i++) a.analyse(scene());
    // In the excluded corner (x 120-160, y 0-60).
    a.analyse(scene(0, { x: 130, y: 10, w: 15, h: 15, shade: 250 }));
    const excluded = a.analyse(scene(0, { x: 133, y: 10, w: 15, h: 15, shade: 250 }));
    assert.equal(excluded.motion, false);
    assert.equal(excluded.score, 0);
    for (let i = 0; i < 3; i++) a.analyse(scene());
    a.analyse(scene(0, { x: 20, y: 70, w: 15, h: 15, shade: 250 }));
    const left = a.analyse(scene(0, { x: 24, y: 70, w: 15, h: 15, shade: 250 }));
    assert.equal(left.motion, true);
    assert.deepEqual(left.zones, ['left']);
  });

  it('lone noisy pixels are despeckled (MASK_FILTERED at most), never motion', () => {
    const a = new MotionAnalyser(options());
    for (let i = 0; i < 5; i++) a.analyse(scene());
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let k = 0; k < 10; k++) {
      const f = scene();
      for (let i = 0; i < 200; i++) f[Math.floor(random() * f.length)] = random() < 0.5 ? 0 : 255;
      const r = a.analyse(f);
      assert.equal(r.motion, false);
      assert.ok(!a.mask.includes(MASK_MOTION));
    }
    assert.ok(MASK_FILTERED > 0);
  });

  it('refuses a picture of the wrong size', () => {
    const a = new MotionAnalyser(options());
    assert.throws(() => a.analyse(new Uint8Array(10)), /expected 19200 bytes/);
  });
});

describe('event grouping (for scoring)', () => {
  it('starts after min_duration of motion, ends after end_after without, a 1 s gap breaks a run', () => {
    const obs = (at: number, motion: boolean) => ({ at, motion, score: motion ? 0.1 : 0, zones: [] });
    const events = groupEvents(
      [
        obs(0, true),
        obs(200, false),
        obs(1400, true),
        obs(1600, true),
        obs(1800, true),
        obs(5000, false),
        obs(12000, false),
      ],
      { minDurationMs: 300, endAfterMs: 10_000 },
    );
    assert.deepEqual(events, [{ start: 1400, raisedAt: 1800, end: 1800, peak: 0.1, zones: [] }]);
  });
});

// The clips, scored: a few here (all of them in bench/motion.ts).
describe('the test clips, scored', () => {
  let clips: MotionClip[];
  before(async () => {
    // object-small and object-zone are the end-to-end test's too (made once for both).
    clips = await ensureMotionClips(['object-small', 'object-zone', 'distractor-lights', 'distractor-rain']);
  });

  it('finds every object within 1 s of its start, with its zones', async () => {
    for (const clip of clips.filter((c) => c.truth.kind === 'object')) {
      const s = await scoreClip(clip);
      assert.equal(s.found, s.expected, `${clip.truth.name}: ${JSON.stringify(s.events)}`);
      assert.equal(s.falseEvents, 0, clip.truth.name);
      assert.deepEqual(
        s.zones,
        clip.truth.events.map((e) => [...e.zones].sort()),
        clip.truth.name,
      );
    }
  });

  it('raises no event on a distractor', async () => {
    for (const clip of clips.filter((c) => c.truth.kind === 'distractor')) {
      const s = await scoreClip(clip);
      assert.deepEqual(s.events, [], clip.truth.name);
    }
  });
});
