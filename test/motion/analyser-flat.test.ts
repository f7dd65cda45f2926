import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MotionAnalyser } from '../../src/motion/analyser.js';

// A flat grey picture (a wall, a test pattern, lavfi's `color=gray`) decodes to one grey level exactly:
// every background pixel lies in one band of the tone curve, and a moving box's own pixels are the only
// ones in the bands beside it.
const W = 320;
const H = 240;
const BOX_W = 40;
const BOX_H = 30;
/** 60 px/s at 5 pictures a second. */
const STEP = 12;

function flat(level: number, boxX?: number, shade = 255): Uint8Array {
  const f = new Uint8Array(W * H).fill(level);
  if (boxX !== undefined)
    for (let y = 100; y < 100 + BOX_H; y++)
      for (let x = Math.max(0, boxX); x < Math.min(W, boxX + BOX_W); x++) f[y * W + x] = shade;
  return f;
}

/** A box crossing a flat picture from left to right: the pictures' results ('M' motion, 'C' calibrating, '.' neither). */
function cross(level: number, shade: number): { during: string; after: string } {
  const a = new MotionAnalyser({ width: W, height: H, fps: 5, threshold: 20, minArea: 0.0005, zones: [] });
  for (let i = 0; i < 10; i++) assert.equal(a.analyse(flat(level)).motion, false);
  const mark = (r: { motion: boolean; calibrating: boolean }) => (r.motion ? 'M' : r.calibrating ? 'C' : '.');
  let during = '';
  for (let x = -BOX_W + STEP; x < W; x += STEP) during += mark(a.analyse(flat(level, x, shade)));
  let after = '';
  for (let i = 0; i < 10; i++) after += mark(a.analyse(flat(level)));
  return { during, after };
}

describe('MotionAnalyser on a flat grey picture', () => {
  // Levels at both ends of a band of the tone curve (bands are 8 levels: 120-127, 128-135, ...), where a
  // box's pixels nudge the background into the next band.
  for (const level of [127, 128, 135, 136, 96]) {
    for (const [name, shade] of [
      ['white', 255],
      ['dark', 32],
    ] as const) {
      it(`a ${name} ${BOX_W}x${BOX_H} box crossing grey ${level} is motion from its second picture to its last, nothing after`, () => {
        const { during, after } = cross(level, shade);
        assert.match(during, /^\.M+\.?$/, `during: ${during}`);
        assert.equal(after, '.'.repeat(10), `after: ${after}`);
      });
    }
  }

  it('the flat picture alone raises nothing, not even a calibration', () => {
    const a = new MotionAnalyser({ width: W, height: H, fps: 5, threshold: 20, minArea: 0.0005, zones: [] });
    const results = Array.from({ length: 30 }, () => a.analyse(flat(128)));
    assert.ok(results.every((r) => !r.motion && r.score === 0));
    assert.ok(results.slice(2).every((r) => !r.calibrating));
  });
});
