/**
 * Query strings of the playback routes: times (ms since the epoch or ISO 8601), ranges of at most
 * 24 hours, widths. Anything else is a 400 with a message that says what was expected.
 */
import { HttpError } from '../outputs/http-errors.js';

/** The longest range one request may ask for. */
export const MAX_RANGE_MS = 24 * 3600_000;
/** Dates from 1970 to 9999. */
const MAX_TIME_MS = 253402300799999;
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))?)?$/;

/**
 * A time: ms since the epoch (digits only), or ISO 8601 (`2026-12-01T04:00:00Z`; no zone is UTC).
 * Nothing else: no exponent (`1e3`), sign or spaces, and no date that does not exist (February 30
 * is refused, not read as March 2), no hour 24, no leap second.
 */
export function parseTime(name: string, value: unknown): number {
  if (typeof value !== 'string' || value === '') {
    throw new HttpError(400, `${name} is required: ms since the epoch or an ISO 8601 time`);
  }
  const ms = /^\d{1,16}$/.test(value) ? Number(value) : isoTime(value);
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIME_MS) {
    throw new HttpError(400, `${name} "${value.slice(0, 40)}" is not a time: ms since the epoch or ISO 8601`);
  }
  return ms;
}

/** An ISO 8601 time in ms, NaN when it is not one or names a date or time that does not exist. */
function isoTime(value: string): number {
  const m = ISO_8601.exec(value);
  if (!m) return NaN;
  const part = (i: number): number => Number(m[i] ?? 0);
  const [year, month, day, hour, minute, second] = [part(1), part(2), part(3), part(4), part(5), part(6)];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  if (hour > 23 || minute > 59 || second > 59) return NaN;
  let offsetMinutes = 0;
  if (m[9]) {
    const [hours, minutes] = [part(10), part(11)];
    if (hours > 23 || minutes > 59) return NaN;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  // Fractions of a millisecond are dropped, as the times are whole ms everywhere.
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  return date.getTime() - offsetMinutes * 60_000;
}

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
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
