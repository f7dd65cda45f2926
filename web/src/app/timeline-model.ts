/**
 * The recordings timeline without the DOM: days, time ↔ pixel, what to draw, where playing goes
 * next. Pure functions (and one small cache), so the tests run them without a browser.
 */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A time span [start, end) in ms since the epoch. */
export interface Span {
  start: number;
  end: number;
}

/** A stretch without recording, and why (`offline`, `stopped`, `dropped`, `disk`, `unknown`). */
export interface Gap extends Span {
  reason: string;
  detail?: string;
}

/** Local midnight of the day that holds `t`. */
export function dayStart(t: number): number {
  const date = new Date(t);
  date.setHours(0, 0, 0, 0);
  return date.getTime();
}

/** Local midnight `n` days after the midnight `day` (23 or 25 hours away across a clock change). */
export function addDays(day: number, n: number): number {
  const date = new Date(day);
  date.setDate(date.getDate() + n);
  date.setHours(0, 0, 0, 0);
  return date.getTime();
}

/** The local day holding `t`, midnight to midnight. */
export function dayOf(t: number): Span {
  const start = dayStart(t);
  return { start, end: addDays(start, 1) };
}

/** Splits [start, end) in pieces of at most `max` ms (the API answers one day at most). */
export function chunks(span: Span, max = DAY): Span[] {
  const out: Span[] = [];
  for (let t = span.start; t < span.end; t += max) out.push({ start: t, end: Math.min(span.end, t + max) });
  return out;
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** The part of the timeline on screen: `start`..`end` drawn over `width` CSS pixels. */
export interface View extends Span {
  width: number;
}

export function timeToX(t: number, view: View): number {
  const span = view.end - view.start;
  return span > 0 ? ((t - view.start) / span) * view.width : 0;
}

/** The time under pixel `x`, inside the view. */
export function xToTime(x: number, view: View): number {
  if (view.width <= 0) return view.start;
  return Math.round(view.start + (clamp(x, 0, view.width) / view.width) * (view.end - view.start));
}

/** Percent of the view's width, for CSS `left`/`width`. */
export function toPercent(t: number, view: Span): number {
  const span = view.end - view.start;
  return span > 0 ? clamp(((t - view.start) / span) * 100, 0, 100) : 0;
}

/** Spans sorted, clipped to `clip`, with those that overlap, touch or are less than `join` ms apart merged. */
export function mergeSpans(spans: readonly Span[], join = 0, clip?: Span): Span[] {
  const sorted = spans
    .map((s) => (clip ? { start: Math.max(s.start, clip.start), end: Math.min(s.end, clip.end) } : { ...s }))
    .filter((s) => s.end > s.start)
    .sort((a, b) => a.start - b.start);
  const out: Span[] = [];
  for (const span of sorted) {
    const last = out[out.length - 1];
    if (last && span.start - last.end <= join) last.end = Math.max(last.end, span.end);
    else out.push(span);
  }
  return out;
}

/**
 * Gaps to draw: clipped, those shorter than `min` ms left out (invisible, and the ranges around
 * them are drawn as one), neighbours less than `min` apart merged with their reasons joined.
 */
export function displayGaps(gaps: readonly Gap[], min: number, clip?: Span): Gap[] {
  const sorted = gaps
    .map((g) => (clip ? { ...g, start: Math.max(g.start, clip.start), end: Math.min(g.end, clip.end) } : { ...g }))
    .filter((g) => g.end - g.start >= Math.max(1, min))
    .sort((a, b) => a.start - b.start);
  const out: Gap[] = [];
  for (const gap of sorted) {
    const last = out[out.length - 1];
    if (last && gap.start - last.end < min) {
      last.end = Math.max(last.end, gap.end);
      if (!last.reason.split(', ').includes(gap.reason)) last.reason += `, ${gap.reason}`;
      if (gap.detail && !last.detail) last.detail = gap.detail;
    } else out.push(gap);
  }
  return out;
}

/** The span of `spans` (sorted) that holds `t`, [start, end). */
export function spanAt<T extends Span>(t: number, spans: readonly T[]): T | undefined {
  return spans.find((s) => s.start <= t && t < s.end);
}

/** Where playing from `t` begins: `t` when recorded, else the next range's start; undefined after the last. */
export function playableFrom(t: number, ranges: readonly Span[]): number | undefined {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  for (const range of sorted) {
    if (t < range.start) return range.start;
    if (t < range.end) return t;
  }
  return undefined;
}

/** A window of video to ask for: from `start`, `length` long, never past `limit` (e.g. now). */
export function playWindow(start: number, length: number, limit = Infinity): Span {
  return { start, end: Math.max(start, Math.min(start + length, limit)) };
}

/**
 * Where the window after one that ended at `end` starts: `end` when recorded or when nothing is
 * known after it (the server skips to the first recorded instant itself), the next range's start
 * after a hole; undefined when a known hole runs past `limit`.
 */
export function nextWindowStart(end: number, ranges: readonly Span[], limit = Infinity): number | undefined {
  const next = playableFrom(end, ranges) ?? end;
  return next < limit ? next : undefined;
}

/** The wall-clock time shown at video time `seconds` of a window whose video time 0 is `recordingStart`. */
export function wallTime(recordingStart: number, seconds: number): number {
  return recordingStart + Math.round(seconds * 1000);
}

/** The video time of wall-clock `t` in that window. */
export function videoTime(recordingStart: number, t: number): number {
  return Math.max(0, (t - recordingStart) / 1000);
}

/** Steps between labelled ticks, shortest first. */
const STEPS = [
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
];

/** The shortest tick step that leaves at least `spacing` pixels between labels. */
export function tickStep(view: View, spacing = 64): number {
  const perPixel = (view.end - view.start) / Math.max(1, view.width);
  return STEPS.find((step) => step / perPixel >= spacing) ?? 12 * HOUR;
}

/** Tick times inside the view at whole local steps (hours on the hour, minutes on the minute). */
export function ticks(view: Span, step: number): number[] {
  const out: number[] = [];
  const date = new Date(view.start);
  if (step >= HOUR) {
    const hours = step / HOUR;
    date.setMinutes(0, 0, 0);
    date.setHours(Math.floor(date.getHours() / hours) * hours);
    while (date.getTime() <= view.end && out.length < 200) {
      if (date.getTime() >= view.start) out.push(date.getTime());
      date.setHours(date.getHours() + hours);
    }
  } else {
    const minutes = step / MINUTE;
    date.setSeconds(0, 0);
    date.setMinutes(Math.floor(date.getMinutes() / minutes) * minutes);
    while (date.getTime() <= view.end && out.length < 200) {
      if (date.getTime() >= view.start) out.push(date.getTime());
      date.setMinutes(date.getMinutes() + minutes);
    }
  }
  return out;
}

/** The zoom levels: how much of the day the timeline shows. */
export const ZOOMS = [DAY, 6 * HOUR, HOUR, 15 * MINUTE] as const;

/** A view `length` long around `center`, kept inside `day` (the whole day when it is shorter). */
export function zoomSpan(day: Span, length: number, center: number): Span {
  if (length >= day.end - day.start) return { start: day.start, end: day.end };
  const start = clamp(Math.round(center - length / 2), day.start, day.end - length);
  return { start, end: start + length };
}

/** The view moved so that `t` is inside it (with a margin), same length, inside `day`. */
export function follow(view: Span, day: Span, t: number): Span {
  const length = view.end - view.start;
  const margin = length * 0.05;
  if (t >= view.start + margin && t <= view.end - margin) return view;
  return zoomSpan(day, length, t);
}

/** A selection from two times in either order, at most `max` long (cut at its end). */
export function normalizeSelection(a: number, b: number, max = DAY): Span {
  const start = Math.min(a, b);
  return { start, end: Math.min(Math.max(a, b), start + max) };
}

/** The time a thumbnail is asked for: `t` rounded to a grain that grows as the view zooms out. */
export function thumbnailTime(t: number, msPerPixel: number): number {
  const grain = clamp(Math.round((msPerPixel * 4) / SECOND) * SECOND, 2 * SECOND, 10 * MINUTE);
  return Math.floor(t / grain) * grain;
}

/** A bounded map that forgets the least recently used entry (and tells `evicted`, e.g. to free an object URL). */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();

  constructor(
    readonly max: number,
    private readonly evicted: (value: V, key: K) => void = () => {},
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): void {
    const old = this.map.get(key);
    this.map.delete(key);
    if (old !== undefined && old !== value) this.evicted(old, key);
    this.map.set(key, value);
    while (this.map.size > this.max) {
      const [oldestKey, oldestValue] = this.map.entries().next().value as [K, V];
      this.map.delete(oldestKey);
      this.evicted(oldestValue, oldestKey);
    }
  }

  clear(): void {
    for (const [key, value] of this.map) this.evicted(value, key);
    this.map.clear();
  }
}

/** "12 min", "1 h 05 min", "45 s": a duration as the download button says it. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Words for a gap's reason code. */
export function gapReasonText(reason: string): string {
  const words: Record<string, string> = {
    offline: 'camera offline',
    stopped: 'recording stopped',
    dropped: 'video dropped',
    disk: 'disk full or failing',
    unknown: 'not recorded',
  };
  return reason
    .split(', ')
    .map((r) => words[r] ?? r)
    .join(', ');
}
