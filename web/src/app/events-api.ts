/**
 * Motion events and the detector as the viewer uses them: GET api/events (newest first), each event's
 * snapshot and clip, the live feed (api/events/live, Server-Sent Events: start, update, end), and
 * what a camera's detector sees now (GET api/cameras/ID/motion, with its mask for the zone editor).
 */
import type { EventJson } from '../../../src/events/event.js';
import { withToken } from './credentials.js';

/** An event as the API and the live feed give it (the server's own type: one definition of the wire). */
export type MotionEvent = EventJson;

export type EventsAnswer =
  | { kind: 'ok'; events: MotionEvent[] }
  | { kind: 'forbidden' }
  /** The server has no events API (an older camrelay) or none for this camera. */
  | { kind: 'missing' }
  | { kind: 'error'; message: string };

const TIMEOUT_MS = 8000;

function isEvent(value: unknown): value is MotionEvent {
  const e = value as Partial<MotionEvent> | null;
  return (
    !!e &&
    typeof e.id === 'number' &&
    typeof e.camera === 'string' &&
    typeof e.start === 'number' &&
    (e.end === null || typeof e.end === 'number') &&
    Array.isArray(e.zones)
  );
}

export interface EventsQuery {
  camera?: string;
  start?: number;
  end?: number;
  limit?: number;
}

export async function fetchEvents(query: EventsQuery, signal?: AbortSignal): Promise<EventsAnswer> {
  const params = new URLSearchParams();
  if (query.camera) params.set('camera', query.camera);
  if (query.start !== undefined) params.set('start', String(Math.floor(query.start)));
  if (query.end !== undefined) params.set('end', String(Math.ceil(query.end)));
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  let response: Response;
  try {
    response = await fetch(withToken(`api/events?${params.toString()}`), {
      cache: 'no-store',
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]) : AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
  if (response.status === 401 || response.status === 403) return { kind: 'forbidden' };
  if (response.status === 404) return { kind: 'missing' };
  if (!response.ok) return { kind: 'error', message: `the server answered ${response.status}` };
  try {
    const body = (await response.json()) as { events?: unknown };
    if (!Array.isArray(body.events)) return { kind: 'error', message: 'unexpected answer from the events API' };
    return { kind: 'ok', events: body.events.filter(isEvent) };
  } catch {
    return { kind: 'error', message: 'unexpected answer from the events API' };
  }
}

/** The server's absolute path (`/api/…`) as a URL relative to the page (a path prefix behind a proxy), with the token. */
function relative(path: string): string {
  return withToken(path.replace(/^\/+/, ''));
}

export function snapshotUrl(event: MotionEvent): string | undefined {
  return event.snapshot ? relative(event.snapshot) : undefined;
}

export function clipUrl(event: MotionEvent): string | undefined {
  return event.clip ? relative(event.clip) : undefined;
}

export type LiveChange = 'start' | 'update' | 'end';

/** The live feed; reconnects by itself (EventSource does). Returns the function that closes it. */
export function watchEvents(onEvent: (change: LiveChange, event: MotionEvent) => void, camera?: string): () => void {
  if (typeof EventSource === 'undefined') return () => {};
  const source = new EventSource(withToken(`api/events/live${camera ? `?camera=${encodeURIComponent(camera)}` : ''}`));
  for (const change of ['start', 'update', 'end'] as const) {
    source.addEventListener(change, (message: MessageEvent<string>) => {
      try {
        const event: unknown = JSON.parse(message.data);
        if (isEvent(event)) onEvent(change, event);
      } catch {
        // a malformed message: skipped
      }
    });
  }
  return () => source.close();
}

/** What GET api/cameras/ID/motion says. */
export interface MotionNow {
  camera: string;
  enabled: boolean;
  input?: 'sub' | 'main';
  fps?: number;
  zones?: { name: string; type: 'include' | 'exclude'; points: [number, number][] }[];
  at?: number | null;
  motion?: boolean;
  score?: number;
  touched?: string[];
  calibrating?: boolean;
  width?: number;
  height?: number;
  /** Two bits a pixel (0 still, 1 filtered out, 2 motion), four a byte, the first in the low bits; base64. */
  mask?: string;
}

export async function fetchMotion(camera: string, mask = false, signal?: AbortSignal): Promise<MotionNow | undefined> {
  try {
    const response = await fetch(
      withToken(`api/cameras/${encodeURIComponent(camera)}/motion${mask ? '?mask=1' : ''}`),
      {
        cache: 'no-store',
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]) : AbortSignal.timeout(TIMEOUT_MS),
      },
    );
    if (!response.ok) return undefined;
    return (await response.json()) as MotionNow;
  } catch {
    return undefined;
  }
}

/** The mask's value (0, 1 or 2) of each analysed pixel. */
export function unpackMask(base64: string, pixels: number): Uint8Array {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const out = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) out[i] = ((bytes[i >> 2] ?? 0) >> ((i & 3) * 2)) & 3;
  return out;
}
