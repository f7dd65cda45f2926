/** An event: motion on one camera, from its start to its end, and how it is shown to the world. */

export interface MotionEvent {
  id: number;
  camera: string;
  /** When the motion began (ms since the epoch). */
  start: number;
  /** When the last motion was seen, once the event is over; null while it lasts. */
  end: number | null;
  /** The highest score seen (0–1). */
  score: number;
  /** Every zone the motion touched, sorted. */
  zones: string[];
  /** Whether a snapshot is stored. */
  hasSnapshot: boolean;
  /** The last time motion was seen (an open event is closed with it after a crash). */
  lastSeen: number;
}

/** The event as the API, the live feed, MQTT and webhooks give it. */
export interface EventJson {
  id: number;
  camera: string;
  start: number;
  end: number | null;
  score: number;
  zones: string[];
  /** URL path of its snapshot, or null. */
  snapshot: string | null;
  /** URL path of its clip, or null when the camera is not recorded. */
  clip: string | null;
}

export type EventChange = 'start' | 'update' | 'end';

export function eventJson(event: MotionEvent, recorded: boolean): EventJson {
  return {
    id: event.id,
    camera: event.camera,
    // Whole ms, as stored (observations are timed to fractions of one).
    start: Math.floor(event.start),
    end: event.end === null ? null : Math.ceil(event.end),
    score: Math.round(event.score * 1000) / 1000,
    zones: [...event.zones],
    snapshot: event.hasSnapshot ? `/api/events/${event.id}/snapshot.jpg` : null,
    clip: recorded ? `/api/events/${event.id}/clip.mp4` : null,
  };
}
