/**
 * Which decoding path the player tries next when one keeps failing (web/src/player/fallback.ts),
 * without a browser: the browser's paths are said by the test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FAILURES_BEFORE_FALLBACK, PathFallback } from '../../web/src/player/fallback.js';
import type { PlaybackPath } from '../../web/src/player/path.js';

/** A browser that has these paths (JPEG it always has). */
const browser =
  (...paths: PlaybackPath[]) =>
  (path: PlaybackPath) =>
    path === 'jpeg' || paths.includes(path);

/** Fails `path` until it is given up; returns how many failures that took. */
function failUntilGivenUp(fallback: PathFallback, path: PlaybackPath): number {
  for (let n = 1; n <= 100; n++) if (fallback.failed(path)) return n;
  throw new Error(`${path} was never given up`);
}

describe('the decoding path fallback', () => {
  it('picks the best path the browser has: WebCodecs, then MSE, then JPEG; a forced path first', () => {
    assert.equal(new PathFallback(browser('webcodecs', 'mse')).pick('auto'), 'webcodecs');
    assert.equal(new PathFallback(browser('mse')).pick('auto'), 'mse');
    assert.equal(new PathFallback(browser()).pick('auto'), 'jpeg');
    assert.equal(new PathFallback(browser('webcodecs', 'mse')).pick('mse'), 'mse');
    assert.equal(new PathFallback(browser('webcodecs')).pick('mse'), 'webcodecs', 'a forced path the browser lacks');
    assert.equal(new PathFallback(browser('webcodecs', 'mse')).pick('jpeg'), 'jpeg');
  });

  it(`gives a path up after ${FAILURES_BEFORE_FALLBACK} failures in a row, for the next one, down to JPEG`, () => {
    const fallback = new PathFallback(browser('webcodecs', 'mse'));
    assert.equal(failUntilGivenUp(fallback, 'webcodecs'), FAILURES_BEFORE_FALLBACK);
    assert.equal(fallback.pick('auto'), 'mse');
    assert.equal(failUntilGivenUp(fallback, 'mse'), FAILURES_BEFORE_FALLBACK);
    assert.equal(fallback.pick('auto'), 'jpeg');
    assert.equal(fallback.pick('mse'), 'jpeg');
  });

  it('counts failures in a row only: a picture between starts the count again', () => {
    const fallback = new PathFallback(browser('webcodecs', 'mse'));
    for (let round = 0; round < 5; round++) {
      for (let n = 1; n < FAILURES_BEFORE_FALLBACK; n++) assert.equal(fallback.failed('webcodecs'), false);
      fallback.succeeded();
    }
    assert.equal(fallback.pick('auto'), 'webcodecs');
  });

  it('never gives JPEG up: it is the last path', () => {
    const fallback = new PathFallback(browser());
    for (let n = 0; n < 10 * FAILURES_BEFORE_FALLBACK; n++) assert.equal(fallback.failed('jpeg'), false);
    assert.equal(fallback.pick('auto'), 'jpeg');
  });

  it('after a forced MSE fails, tries WebCodecs before JPEG', () => {
    const fallback = new PathFallback(browser('webcodecs', 'mse'));
    failUntilGivenUp(fallback, 'mse');
    assert.equal(fallback.pick('mse'), 'webcodecs');
  });

  it('forgets the paths given up when told to (a new `path` attribute)', () => {
    const fallback = new PathFallback(browser('webcodecs', 'mse'));
    failUntilGivenUp(fallback, 'webcodecs');
    failUntilGivenUp(fallback, 'mse');
    fallback.forget();
    assert.equal(fallback.pick('auto'), 'webcodecs');
  });

  it('counts each path afresh: failures of the path given up do not count against the next', () => {
    const fallback = new PathFallback(browser('webcodecs', 'mse'));
    failUntilGivenUp(fallback, 'webcodecs');
    assert.equal(fallback.failed('mse'), false, 'the first failure of MSE');
  });
});
