/**
 * Motion events (README.md here): from the detector's observations to stored events with a
 * snapshot and a clip, the HTTP API and live feed, and the feed the notifiers (src/notify) and
 * recording around events listen to.
 */
export type { EventChange, EventJson, MotionEvent } from './event.js';
export { eventJson } from './event.js';
export { EventStore, MAX_SNAPSHOT_BYTES, type StoredEvent } from './event-store.js';
export {
  Events,
  DEFAULT_EVENTS_RETAIN_DAYS,
  type EventCamera,
  type EventsOptions,
  type MirroredChange,
} from './events.js';
export { EventFeed, type EventListener, type EventNotice } from './feed.js';
export { addEventMetrics } from './metrics.js';
export type { MotionObservation, ObservationSource } from './observation.js';
export { clipRoute, eventRoutes, type EventRoutesOptions } from './routes.js';
export type { EventTiming } from './timing.js';
