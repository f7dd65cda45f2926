import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FramePacer } from '../../src/hub/frame-pacer.js';

const PERIOD = 1000 / 30;

function sd(steps: number[]): number {
  const mean = steps.reduce((a, b) => a + b, 0) / steps.length;
  return Math.sqrt(steps.reduce((a, s) => a + (s - mean) ** 2, 0) / steps.length) / mean;
}

/** Pseudo-random jitter in [0, max) ms, the same every run. */
function jitter(max: number): (i: number) => number {
  return (i) => ((i * 7919) % 97) * (max / 97);
}

describe('FramePacer', () => {
  it('turns 30 fps arrivals jittered by up to 20 ms into steps of a 30 fps frame', () => {
    const pacer = new FramePacer();
    const j = jitter(20);
    const out = Array.from({ length: 600 }, (_, i) => pacer.next(1000 + i * PERIOD + j(i)));
    const steps = out.slice(301).map((t, i) => t - out[300 + i]!);
    assert.ok(sd(steps) < 0.01, `steps vary by ${(sd(steps) * 100).toFixed(2)} %`);
    // It stays with the arrivals: never more than a frame and the jitter away.
    for (let i = 0; i < out.length; i++) assert.ok(Math.abs(out[i]! - (1000 + i * PERIOD)) < PERIOD + 20, `unit ${i}`);
  });

  it('gives the arrivals themselves until it knows the rate', () => {
    const pacer = new FramePacer();
    assert.equal(pacer.next(5), 5);
    assert.equal(pacer.next(41.5), 41.5);
  });

  it('catches up by whole frames when the source skips some, and restarts at the arrival after a stall', () => {
    const pacer = new FramePacer();
    let t = 0;
    for (let i = 0; i < 120; i++) pacer.next((t = i * PERIOD));
    // Three frames skipped: every arrival from here is three frames later than the rate says.
    const after = Array.from({ length: 10 }, (_, k) => pacer.next(t + (4 + k) * PERIOD));
    assert.ok(Math.abs(after.at(-1)! - (t + 13 * PERIOD)) < PERIOD, `${after.at(-1)} vs ${t + 13 * PERIOD}`);
    // A 5 s stall: the next time is its arrival.
    const late = t + 14 * PERIOD + 5000;
    assert.equal(pacer.next(late), late);
  });

  it('reset() forgets the rate', () => {
    const pacer = new FramePacer();
    for (let i = 0; i < 100; i++) pacer.next(i * PERIOD);
    pacer.reset();
    assert.equal(pacer.next(12_345), 12_345);
  });
});
