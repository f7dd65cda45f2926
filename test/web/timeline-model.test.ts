/**
 * The recordings timeline's arithmetic (web/src/app/timeline-model.ts), without a browser:
 * days, time ↔ pixel, what is drawn, where playing goes next, ticks, zoom, the bounded cache.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addDays,
  chunks,
  DAY,
  dayOf,
  displayGaps,
  follow,
  formatDuration,
  HOUR,
  LruCache,
  mergeSpans,
  MINUTE,
  nextWindowStart,
  normalizeSelection,
  playableFrom,
  playWindow,
  SECOND,
  thumbnailTime,
  ticks,
  tickStep,
  timeToX,
  toPercent,
  videoTime,
  wallTime,
  xToTime,
  zoomSpan,
} from '../../web/src/app/timeline-model.js';

const T0 = new Date(2026, 2, 3, 0, 0, 0).getTime(); // a local midnight

describe('timeline model: days and pixels', () => {
  it('finds the local day of a time, and the next and previous days', () => {
    const noon = T0 + 12 * HOUR + 5 * MINUTE;
    const day = dayOf(noon);
    assert.equal(day.start, T0);
    assert.equal(new Date(day.end).getHours(), 0, 'ends at the next local midnight');
    assert.equal(new Date(day.end).getDate(), 4);
    assert.equal(addDays(T0, -1), dayOf(T0 - 1).start);
    assert.equal(addDays(addDays(T0, 1), -1), T0);
  });

  it('asks for a long span a day at a time', () => {
    assert.deepEqual(chunks({ start: 0, end: DAY }), [{ start: 0, end: DAY }]);
    assert.deepEqual(chunks({ start: 0, end: DAY + HOUR }), [
      { start: 0, end: DAY },
      { start: DAY, end: DAY + HOUR },
    ]);
    assert.deepEqual(chunks({ start: 5, end: 5 }), []);
  });

  it('maps times to pixels and back', () => {
    const view = { start: T0, end: T0 + DAY, width: 960 };
    assert.equal(timeToX(T0, view), 0);
    assert.equal(timeToX(T0 + 12 * HOUR, view), 480);
    assert.equal(timeToX(T0 + DAY, view), 960);
    assert.equal(xToTime(480, view), T0 + 12 * HOUR);
    assert.equal(xToTime(-20, view), T0, 'clamped at the left edge');
    assert.equal(xToTime(5000, view), T0 + DAY, 'and at the right');
    for (const x of [0, 1, 333, 959]) assert.ok(Math.abs(timeToX(xToTime(x, view), view) - x) < 0.01);
    assert.equal(toPercent(T0 + 6 * HOUR, view), 25);
    assert.equal(toPercent(T0 - HOUR, view), 0);
    assert.equal(xToTime(10, { start: T0, end: T0 + DAY, width: 0 }), T0, 'an element not laid out yet');
  });
});

describe('timeline model: what is drawn', () => {
  it('merges ranges that overlap, touch or are closer than a pixel, and clips them to the view', () => {
    const ranges = [
      { start: 50, end: 60 },
      { start: 0, end: 10 },
      { start: 10, end: 20 },
      { start: 21, end: 30 },
      { start: 100, end: 200 },
    ];
    assert.deepEqual(mergeSpans(ranges), [
      { start: 0, end: 20 },
      { start: 21, end: 30 },
      { start: 50, end: 60 },
      { start: 100, end: 200 },
    ]);
    assert.deepEqual(mergeSpans(ranges, 1), [
      { start: 0, end: 30 },
      { start: 50, end: 60 },
      { start: 100, end: 200 },
    ]);
    assert.deepEqual(mergeSpans(ranges, 25, { start: 5, end: 150 }), [
      { start: 5, end: 60 },
      { start: 100, end: 150 },
    ]);
    assert.deepEqual(mergeSpans(ranges, 0, { start: 300, end: 400 }), [], 'nothing in the view');
    assert.equal(ranges[0]!.start, 50, 'the input is left as it was');
  });

  it('draws gaps of at least a pixel, neighbours merged with both reasons', () => {
    const gaps = [
      { start: 0, end: 100, reason: 'offline', detail: 'ffmpeg exited' },
      { start: 100, end: 150, reason: 'dropped' },
      { start: 300, end: 302, reason: 'unknown' },
      { start: 500, end: 600, reason: 'offline' },
    ];
    assert.deepEqual(displayGaps(gaps, 10), [
      { start: 0, end: 150, reason: 'offline, dropped', detail: 'ffmpeg exited' },
      { start: 500, end: 600, reason: 'offline' },
    ]);
    assert.equal(displayGaps(gaps, 1).length, 3, 'touching gaps are one');
    assert.deepEqual(displayGaps(gaps, 1, { start: 550, end: 1000 }), [{ start: 550, end: 600, reason: 'offline' }]);
  });

  it('picks tick steps that leave room for their labels, on whole local hours and minutes', () => {
    assert.equal(tickStep({ start: T0, end: T0 + DAY, width: 1200 }, 64), HOUR * 2);
    assert.equal(tickStep({ start: T0, end: T0 + DAY, width: 350 }, 56), 6 * HOUR);
    assert.equal(tickStep({ start: T0, end: T0 + HOUR, width: 1200 }, 64), 5 * MINUTE);
    const day = ticks({ start: T0, end: T0 + DAY }, 3 * HOUR);
    assert.equal(day.length, 9);
    assert.ok(day.every((t) => new Date(t).getMinutes() === 0 && new Date(t).getHours() % 3 === 0));
    const quarter = ticks({ start: T0 + 10 * HOUR + 7 * MINUTE, end: T0 + 11 * HOUR }, 15 * MINUTE);
    assert.deepEqual(
      quarter.map((t) => new Date(t).getMinutes()),
      [15, 30, 45, 0],
    );
  });

  it('zooms around a time, inside the day', () => {
    const day = { start: T0, end: T0 + DAY };
    assert.deepEqual(zoomSpan(day, DAY, T0 + 5 * HOUR), day);
    assert.deepEqual(zoomSpan(day, HOUR, T0 + 5 * HOUR), { start: T0 + 4.5 * HOUR, end: T0 + 5.5 * HOUR });
    assert.deepEqual(zoomSpan(day, HOUR, T0 + 10 * MINUTE), { start: T0, end: T0 + HOUR }, 'not before midnight');
    assert.deepEqual(zoomSpan(day, HOUR, T0 + DAY), { start: T0 + 23 * HOUR, end: T0 + DAY }, 'nor after');
    const view = { start: T0 + 4 * HOUR, end: T0 + 5 * HOUR };
    assert.equal(follow(view, day, T0 + 4.5 * HOUR), view, 'a playhead inside stays');
    assert.deepEqual(follow(view, day, T0 + 5 * HOUR), { start: T0 + 4.5 * HOUR, end: T0 + 5.5 * HOUR });
  });
});

describe('timeline model: playing', () => {
  const ranges = [
    { start: 1000, end: 5000 },
    { start: 9000, end: 12000 },
  ];

  it('plays a recorded time from there, a time in a hole from the next recording', () => {
    assert.equal(playableFrom(2000, ranges), 2000);
    assert.equal(playableFrom(500, ranges), 1000);
    assert.equal(playableFrom(5000, ranges), 9000, 'a range is [start, end)');
    assert.equal(playableFrom(12000, ranges), undefined, 'after the last');
    assert.equal(playableFrom(2000, [...ranges].reverse()), 2000, 'in any order');
  });

  it('chains windows: the next one starts where the last was asked to end, across holes', () => {
    const first = playWindow(1000, 15 * MINUTE);
    assert.deepEqual(first, { start: 1000, end: 1000 + 15 * MINUTE });
    assert.deepEqual(playWindow(1000, 15 * MINUTE, 4000), { start: 1000, end: 4000 }, 'never past now');
    assert.deepEqual(playWindow(5000, 15 * MINUTE, 4000), { start: 5000, end: 5000 }, 'never backwards');
    assert.equal(nextWindowStart(3000, ranges), 3000, 'still recorded');
    assert.equal(nextWindowStart(6000, ranges), 9000, 'over a hole');
    assert.equal(nextWindowStart(20_000, ranges), 20_000, 'past what is known: the server decides');
    assert.equal(nextWindowStart(6000, ranges, 8000), undefined, 'the next recording is after the limit');
    // Walking a day of 15-minute windows covers it without overlap or hole.
    const day = [{ start: 0, end: HOUR }];
    const windows = [];
    let start: number | undefined = 0;
    while (start !== undefined && windows.length < 10) {
      const w = playWindow(start, 15 * MINUTE);
      windows.push(w);
      start = nextWindowStart(w.end, day, HOUR);
    }
    assert.equal(windows.length, 4);
    assert.equal(windows[3]!.end, HOUR);
  });

  it('maps video time to wall-clock time through the window start', () => {
    assert.equal(wallTime(T0 + HOUR, 0), T0 + HOUR);
    assert.equal(wallTime(T0 + HOUR, 61.5), T0 + HOUR + 61_500);
    assert.equal(videoTime(T0 + HOUR, T0 + HOUR + 61_500), 61.5);
    assert.equal(videoTime(T0 + HOUR, T0), 0, 'before the window: its start');
  });

  it('orders and bounds a selection', () => {
    assert.deepEqual(normalizeSelection(500, 100), { start: 100, end: 500 });
    assert.deepEqual(normalizeSelection(0, 2 * DAY), { start: 0, end: DAY }, 'the API serves a day at most');
  });

  it('asks for thumbnails on a grain that grows with the zoom', () => {
    assert.equal(thumbnailTime(T0 + 12_345, 100), T0 + 12_000, 'at least 2 s');
    const coarse = thumbnailTime(T0 + 40 * MINUTE + 10 * SECOND, 90_000);
    assert.equal(coarse, T0 + 36 * MINUTE, '4 pixels of 90 s: a 6-minute grain');
    assert.ok(thumbnailTime(T0 + 5 * HOUR + 1, 10 * HOUR) <= T0 + 5 * HOUR, 'at most 10 minutes');
  });

  it('says durations in words', () => {
    assert.equal(formatDuration(45_000), '45 s');
    assert.equal(formatDuration(12 * MINUTE), '12 min');
    assert.equal(formatDuration(HOUR + 5 * MINUTE), '1 h 05 min');
  });
});

describe('timeline model: the thumbnail cache', () => {
  it('keeps the most recently used entries and tells which it lets go', () => {
    const evicted: string[] = [];
    const cache = new LruCache<number, string>(3, (value) => evicted.push(value));
    cache.set(1, 'a');
    cache.set(2, 'b');
    cache.set(3, 'c');
    assert.equal(cache.get(1), 'a'); // 1 is now the newest
    cache.set(4, 'd');
    assert.deepEqual(evicted, ['b']);
    assert.equal(cache.has(2), false);
    assert.equal(cache.size, 3);
    cache.set(3, 'c2');
    assert.deepEqual(evicted, ['b', 'c'], 'a replaced value is let go too');
    cache.clear();
    assert.equal(cache.size, 0);
    assert.deepEqual(evicted.sort(), ['a', 'b', 'c', 'c2', 'd']);
  });
});
