/**
 * Times in the playback query strings (and in clip links, which read them the same way): ms since
 * the epoch as digits, or ISO 8601 with or without a zone. Nothing that only looks like one: no
 * exponent, sign or spaces, and no date or time that does not exist (they would roll over).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from '../../src/outputs/http-errors.js';
import { parseRange, parseTime } from '../../src/playback/query.js';

const refused = (value: unknown): void =>
  assert.throws(
    () => parseTime('start', value),
    (e: unknown) => e instanceof HttpError && e.statusCode === 400,
    `${JSON.stringify(value)} must be refused`,
  );

describe('playback times', () => {
  it('reads ms since the epoch and ISO 8601, with a zone, an offset or none (UTC)', () => {
    const t = Date.UTC(2026, 11, 1, 4, 0, 0);
    assert.equal(parseTime('start', String(t)), t);
    assert.equal(parseTime('start', '0'), 0);
    assert.equal(parseTime('start', '2026-12-01T04:00:00Z'), t);
    assert.equal(parseTime('start', '2026-12-01T04:00:00'), t);
    assert.equal(parseTime('start', '2026-12-01 04:00:00'), t);
    assert.equal(parseTime('start', '2026-12-01T04:00'), t);
    assert.equal(parseTime('start', '2026-12-01T05:30:00+01:30'), t);
    assert.equal(parseTime('start', '2026-12-01T02:00:00-0200'), t);
    assert.equal(parseTime('start', '2026-12-01T04:00:00.123Z'), t + 123);
    assert.equal(parseTime('start', '2026-12-01T04:00:00.1239999Z'), t + 123);
    assert.equal(parseTime('start', '2026-12-01T04:00:00.5'), t + 500);
    assert.equal(parseTime('start', '2026-12-01'), Date.UTC(2026, 11, 1));
    assert.equal(parseTime('start', '2024-02-29T12:00:00Z'), Date.UTC(2024, 1, 29, 12));
    assert.equal(parseTime('start', '2000-02-29'), Date.UTC(2000, 1, 29));
    assert.equal(parseTime('start', '2026-12-31T23:59:59Z'), Date.UTC(2026, 11, 31, 23, 59, 59));
  });

  it('refuses what only looks like a time: exponents, signs, spaces, other notations', () => {
    for (const value of ['1e3', '1E3', '1.5', '+1000', '-1000', ' 1000', '1000 ', '0x10', '1_000', 'Infinity', '']) {
      refused(value);
    }
    for (const value of [undefined, 1000, null]) refused(value);
    for (const value of ['2026-12-01T04:00:00z', '2026-12-1', '26-12-01', '2026-12-01T4:00', 'yesterday', 'now']) {
      refused(value);
    }
  });

  it('refuses dates and times that do not exist instead of rolling them over', () => {
    for (const value of [
      '2026-02-30',
      '2026-02-29T00:00:00Z', // 2026 is no leap year
      '1900-02-29',
      '2026-04-31T10:00:00Z',
      '2026-13-01',
      '2026-00-10',
      '2026-12-00',
      '2026-12-32',
      '2026-12-01T24:00:00Z',
      '2026-12-01T23:60:00Z',
      '2026-12-01T23:59:60Z',
      '2026-12-01T04:00:00+24:00',
      '2026-12-01T04:00:00+01:60',
    ]) {
      refused(value);
    }
  });

  it('keeps the range rules: end after start, at most 24 hours', () => {
    assert.deepEqual(parseRange({ start: '2026-12-01', end: '2026-12-02' }), {
      start: Date.UTC(2026, 11, 1),
      end: Date.UTC(2026, 11, 2),
    });
    assert.throws(() => parseRange({ start: '2026-12-02', end: '2026-12-01' }), HttpError);
    assert.throws(() => parseRange({ start: '2026-12-01', end: '2026-12-02T00:00:01Z' }), HttpError);
    assert.throws(() => parseRange({ start: '2026-02-28', end: '2026-02-30' }), HttpError);
  });
});
