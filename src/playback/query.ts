/**
 * Query strings of the playback routes: times (ms since the epoch or ISO 8601), ranges of at most
 * 24 hours, widths. Anything else is a 400 with a message that says what was expected.
 */
import { HttpError } from '../outputs/http-errors.js';

/** The longest range one request may ask for. */
export const MAX_RANGE_MS = 24 * 3600_000;
/** Dates from 1970 to 9999. */
const MAX_TIME_MS = 253402300799999;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A time: ms since the epoch (digits), or ISO 8601 (`2026-12-01T04:00:00Z`; no zone is UTC). */
export function parseTime(name: string, value: unknown): number {
  if (typeof value !== 'string' || value === '') {
    throw new HttpError(400, `${name} is required: ms since the epoch or an ISO 8601 time`);
  }
  let ms: number;
  if (/^\d{1,16}$/.test(value)) ms = Number(value);
  else if (ISO_8601.test(value)) {
    const text = /[T ]\d{2}:\d{2}/.test(value) && !/(Z|[+-]\d{2}:?\d{2})$/.test(value) ? `${value}Z` : value;
    ms = Date.parse(text.replace(' ', 'T'));
  } else ms = NaN;
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIME_MS) {
    throw new HttpError(400, `${name} "${value.slice(0, 40)}" is not a time: ms since the epoch or ISO 8601`);
  }
  return Math.floor(ms);
}

export interface TimeRange {
  start: number;
  end: number;
}

/** `start` and `end`, end after start, at most 24 h apart. */
export function parseRange(query: Record<string, unknown>): TimeRange {
  const start = parseTime('start', query.start);
  const end = parseTime('end', query.end);
  if (end <= start) throw new HttpError(400, 'end must be after start');
  if (end - start > MAX_RANGE_MS) throw new HttpError(400, 'a range spans at most 24 hours');
  return { start, end };
}

/** `width`: 16 to 1280 pixels, 320 when absent. */
export function parseWidth(value: unknown): number {
  if (value === undefined) return 320;
  if (typeof value !== 'string' || !/^\d{1,5}$/.test(value) || Number(value) < 16 || Number(value) > 1280) {
    throw new HttpError(400, 'width is a number of pixels from 16 to 1280');
  }
  return Number(value) & ~1; // even, as the JPEG encoder wants for 4:2:0
}
