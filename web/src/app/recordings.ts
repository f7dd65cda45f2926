/** The recordings API as the viewer uses it (GET api/cameras/ID/recordings, video.mp4, thumbnail.jpg). */
import { withToken } from './credentials.js';
import { chunks, mergeSpans, type Gap, type Span } from './timeline-model.js';

/** What GET api/cameras says of a recorded camera (`recording`, null when it is not recorded). */
export interface RecordingStatus {
  enabled: boolean;
  state: 'recording' | 'waiting' | 'error';
  error?: string;
  since: number;
}

/** The camera's recordings over a span: recorded ranges and the gaps between them. */
export interface Recordings extends Span {
  ranges: Span[];
  gaps: Gap[];
}

export type RecordingsAnswer =
  | { kind: 'ok'; recordings: Recordings }
  /** This user may not see recordings: the timeline stays hidden. */
  | { kind: 'forbidden' }
  | { kind: 'error'; message: string };

const TIMEOUT_MS = 8000;
/** Ranges this close are one (the store's segments meet within a millisecond or two). */
const JOIN_MS = 5;

function base(id: string): string {
  return `api/cameras/${encodeURIComponent(id)}/recordings`;
}

function isSpan(value: unknown): value is Span {
  const v = value as Partial<Span> | null;
  return !!v && typeof v.start === 'number' && typeof v.end === 'number' && v.end >= v.start;
}

/** Ranges and gaps over `span`, asked a day at a time (the API's limit), merged. 404 (nothing recorded) is empty. */
export async function fetchRecordings(id: string, span: Span, signal?: AbortSignal): Promise<RecordingsAnswer> {
  const recordings: Recordings = { ...span, ranges: [], gaps: [] };
  for (const part of chunks(span)) {
    let response: Response;
    try {
      response = await fetch(withToken(`${base(id)}?start=${part.start}&end=${part.end}`), {
        cache: 'no-store',
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]) : AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
    }
    if (response.status === 401 || response.status === 403) return { kind: 'forbidden' };
    if (response.status === 404) continue;
    if (!response.ok) return { kind: 'error', message: `the server answered ${response.status}` };
    let body: { ranges?: unknown; gaps?: unknown };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      return { kind: 'error', message: 'unexpected answer from the recordings API' };
    }
    if (!Array.isArray(body.ranges)) return { kind: 'error', message: 'unexpected answer from the recordings API' };
    for (const range of body.ranges) if (isSpan(range)) recordings.ranges.push({ start: range.start, end: range.end });
    for (const gap of Array.isArray(body.gaps) ? (body.gaps as unknown[]) : []) {
      if (!isSpan(gap)) continue;
      const g = gap as Span & { reason?: unknown; detail?: unknown };
      recordings.gaps.push({
        start: g.start,
        end: g.end,
        reason: typeof g.reason === 'string' ? g.reason : 'unknown',
        ...(typeof g.detail === 'string' ? { detail: g.detail } : {}),
      });
    }
  }
  // Consecutive segments join within a few ms: one range.
  recordings.ranges = mergeSpans(recordings.ranges, JOIN_MS);
  return { kind: 'ok', recordings };
}

/** The recording over [start, end) as a progressive MP4; `download` asks the server for an attachment. */
export function videoHref(id: string, span: Span, download = false): string {
  return withToken(`${base(id)}/video.mp4?start=${span.start}&end=${span.end}${download ? '&download=1' : ''}`);
}

export function thumbnailHref(id: string, t: number, width = 160): string {
  return withToken(`${base(id)}/thumbnail.jpg?t=${t}&width=${width}`);
}

export type WindowProbe =
  /**
   * `start`: the wall-clock time of video time 0 (X-Recording-Start: the keyframe at or before the
   * start asked for, else that start); `cut`: where the video ends early (X-Recording-Cut: the camera
   * changed its settings there, the rest is another request).
   */
  | { kind: 'ok'; start: number; cut?: number }
  | { kind: 'none' }
  | { kind: 'forbidden' }
  | { kind: 'error'; message: string };

/**
 * Asks for the first byte of a window's video: the <video> element hides response headers, and
 * this is where X-Recording-Start (when video time 0 was recorded) comes from.
 */
export async function probeWindow(id: string, span: Span, signal?: AbortSignal): Promise<WindowProbe> {
  try {
    const response = await fetch(videoHref(id, span), {
      headers: { range: 'bytes=0-0' },
      cache: 'no-store',
      signal,
    });
    void response.body?.cancel().catch(() => {});
    if (response.status === 404) return { kind: 'none' };
    if (response.status === 401 || response.status === 403) return { kind: 'forbidden' };
    if (!response.ok) return { kind: 'error', message: `the server answered ${response.status}` };
    const header = Number(response.headers.get('x-recording-start'));
    const cut = Number(response.headers.get('x-recording-cut') ?? NaN);
    return {
      kind: 'ok',
      start: Number.isFinite(header) && header > 0 ? header : span.start,
      ...(Number.isFinite(cut) && cut > span.start && cut < span.end ? { cut } : {}),
    };
  } catch (err) {
    return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
}
