/**
 * The events of every camera with motion: observations (from the detector, or an edge) go through a
 * tracker per camera; what it decides is stored (event-store.ts), snapshotted near the peak
 * (snapshots.ts) and told to the feed (the live API, MQTT, webhooks, recording around events).
 * Storage failing (a disk problem) is logged and counted, and never stops detection or the feed.
 */
import type { Logger } from 'pino';
import type { EventJson, MotionEvent } from './event.js';
import { eventJson } from './event.js';
import type { EventQuery, EventStore, StoredEvent } from './event-store.js';
import { EventFeed } from './feed.js';
import type { MotionObservation, ObservationSource } from './observation.js';
import { SnapshotTaker, type SnapshotSource } from './snapshots.js';
import type { EventTiming } from './timing.js';
import { EventTracker, type Episode, type TrackerStep } from './tracker.js';

export interface EventCamera {
  id: string;
  timing: EventTiming;
  /** The camera is recorded (continuously or around events): its events have clips. */
  recorded: boolean;
  /** Days its events are kept (record.events_retain_days). */
  retainDays: number;
}

export interface EventsOptions {
  /** The events' table in the recordings' index; undefined while it cannot be opened. */
  store: () => EventStore | undefined;
  /** The camera's full-size JPEG now (the hub's JPEG track), for snapshots. */
  snapshots?: SnapshotSource;
  log: Logger;
  now?: () => number;
  /** How often open events are checked for their end when no observation comes (ms). */
  tickMs?: number;
}

/** How often an open event's last-seen time is written (a crash closes it there). */
const PERSIST_MS = 2000;
const DAY_MS = 86_400_000;
/** Days the events of cameras no longer configured are kept. */
export const DEFAULT_EVENTS_RETAIN_DAYS = 30;

interface Watched {
  camera: EventCamera;
  tracker: EventTracker;
  event: MotionEvent | undefined;
  persistedAt: number;
  stop: () => void;
}

export class Events {
  readonly feed: EventFeed;
  /** Events started, by camera (metrics). */
  readonly started = new Map<string, number>();
  /** Storage errors (metrics). */
  storeErrors = 0;
  private readonly followed = new Map<string, Watched>();
  private readonly snapshots: SnapshotTaker | undefined;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  /** Events while the store is down: ids of their own, negative, never stored. */
  private nextLocalId = -1;
  private closed = false;

  constructor(private readonly options: EventsOptions) {
    this.now = options.now ?? Date.now;
    this.feed = new EventFeed((err) => options.log.warn({ err }, 'events: a listener failed'));
    if (options.snapshots) {
      this.snapshots = new SnapshotTaker(options.snapshots, (event, jpeg) => this.snapshotTaken(event, jpeg));
    }
    this.timer = setInterval(() => this.tick(), options.tickMs ?? 1000);
    this.timer.unref();
    this.closeCrashed();
  }

  /** Follows a camera's observations; the function returned stops (ending its event). */
  watch(camera: EventCamera, source: ObservationSource): () => void {
    this.unwatch(camera.id);
    const watched: Watched = {
      camera,
      tracker: new EventTracker(camera.timing),
      event: undefined,
      persistedAt: 0,
      stop: () => undefined,
    };
    this.followed.set(camera.id, watched);
    watched.stop = source.subscribe(camera.id, (o) => this.observe(o));
    return () => this.unwatch(camera.id);
  }

  unwatch(id: string): void {
    const watched = this.followed.get(id);
    if (!watched) return;
    watched.stop();
    const step = watched.tracker.finish();
    if (step) this.apply(watched, step);
    this.followed.delete(id);
  }

  /** The camera's open event, if any. */
  active(camera: string): MotionEvent | undefined {
    return this.followed.get(camera)?.event;
  }

  /** Cameras followed now. */
  watched(): EventCamera[] {
    return [...this.followed.values()].map((w) => w.camera);
  }

  observe(o: MotionObservation): void {
    const watched = this.followed.get(o.camera);
    if (!watched || this.closed) return;
    for (const step of watched.tracker.observe(o)) this.apply(watched, step);
    const event = watched.event;
    const episode = watched.tracker.active;
    if (!event || !episode) return;
    event.lastSeen = episode.lastSeen;
    if (event.lastSeen - watched.persistedAt >= PERSIST_MS) this.persist(watched, event);
  }

  private tick(): void {
    const now = this.now();
    for (const watched of this.followed.values()) {
      const step = watched.tracker.tick(now);
      if (step) this.apply(watched, step);
    }
  }

  private apply(watched: Watched, step: TrackerStep): void {
    const { camera } = watched;
    if (step.type === 'start') {
      const event = this.create(camera, step.episode);
      watched.event = event;
      watched.persistedAt = event.lastSeen;
      this.started.set(camera.id, (this.started.get(camera.id) ?? 0) + 1);
      this.options.log.info({ camera: camera.id, event: event.id }, 'event started');
      this.feed.emit({ type: 'start', event: { ...event } });
      this.snapshots?.take(event, camera.id);
      return;
    }
    const event = watched.event;
    if (!event) return;
    fill(event, step.episode);
    if (step.type === 'update') {
      this.persist(watched, event);
      this.feed.emit({ type: 'update', event: { ...event } });
      if (step.peakRaised) this.snapshots?.take(event, camera.id);
      return;
    }
    event.end = step.end;
    watched.event = undefined;
    this.persist(watched, event);
    this.options.log.info(
      { camera: camera.id, event: event.id, seconds: (event.end - event.start) / 1000 },
      'event ended',
    );
    this.feed.emit({ type: 'end', event: { ...event } });
  }

  private create(camera: EventCamera, episode: Episode): MotionEvent {
    const base = {
      camera: camera.id,
      start: episode.start,
      end: null,
      lastSeen: episode.lastSeen,
      score: episode.peak,
      zones: [...episode.zones].sort(),
      preRollMs: camera.timing.preRollMs,
      postRollMs: camera.timing.postRollMs,
    };
    let id = this.nextLocalId--;
    try {
      const store = this.options.store();
      if (store) id = store.insert(base);
    } catch (err) {
      this.storeFailed(err);
    }
    return {
      id,
      camera: base.camera,
      start: base.start,
      end: null,
      lastSeen: base.lastSeen,
      score: base.score,
      zones: base.zones,
      hasSnapshot: false,
    };
  }

  private persist(watched: Watched, event: MotionEvent): void {
    watched.persistedAt = event.lastSeen;
    if (event.id < 0) return;
    try {
      this.options.store()?.update(event);
    } catch (err) {
      this.storeFailed(err);
    }
  }

  private snapshotTaken(event: MotionEvent, jpeg: Buffer): void {
    if (event.id >= 0) {
      try {
        if (!this.options.store()?.setSnapshot(event.id, jpeg)) return;
      } catch (err) {
        this.storeFailed(err);
        return;
      }
    }
    const first = !event.hasSnapshot;
    event.hasSnapshot = true;
    const watched = this.followed.get(event.camera);
    if (watched?.event?.id === event.id) watched.event.hasSnapshot = true;
    // The feed hears of it as an update (the event JSON now names its snapshot), with the picture.
    if (first || watched?.event?.id === event.id)
      this.feed.emit({ type: 'update', event: { ...event }, snapshot: jpeg });
  }

  private storeFailed(err: unknown): void {
    this.storeErrors++;
    if (this.storeErrors === 1 || this.storeErrors % 100 === 0) {
      this.options.log.error({ err, errors: this.storeErrors }, 'events: cannot store an event');
    }
  }

  /** At start: events a crash left open end at their last-seen time. */
  private closeCrashed(): void {
    try {
      const closed = this.options.store()?.closeOpen() ?? [];
      for (const e of closed) {
        this.options.log.warn(
          { camera: e.camera, event: e.id, end: e.end },
          'event left open by a crash: closed at its last motion',
        );
      }
    } catch (err) {
      this.storeFailed(err);
    }
  }

  /** Deletes events older than their camera's events_retain_days. */
  prune(retainDays: (camera: string) => number): void {
    const store = this.options.store();
    if (!store) return;
    const now = this.now();
    try {
      for (const camera of store.cameras()) store.prune(camera, now - retainDays(camera) * DAY_MS);
    } catch (err) {
      this.storeFailed(err);
    }
  }

  /** Every camera with events: stored, or followed now. */
  cameras(): string[] {
    const ids = new Set(this.followed.keys());
    try {
      for (const c of this.options.store()?.cameras() ?? []) ids.add(c);
    } catch (err) {
      this.storeFailed(err);
    }
    return [...ids].sort();
  }

  list(q: EventQuery): StoredEvent[] {
    return this.options.store()?.list(q) ?? [];
  }

  get(id: number): StoredEvent | undefined {
    return this.options.store()?.get(id);
  }

  snapshot(id: number): Buffer | undefined {
    return this.options.store()?.snapshot(id);
  }

  /** The event as the world sees it: a clip when the camera is recorded (or has recordings). */
  json(event: MotionEvent, recorded = this.recorded(event.camera)): EventJson {
    return eventJson(event, recorded);
  }

  recorded(camera: string): boolean {
    return this.followed.get(camera)?.camera.recorded ?? true;
  }

  close(): void {
    if (this.closed) return;
    for (const id of [...this.followed.keys()]) this.unwatch(id);
    this.closed = true;
    clearInterval(this.timer);
    this.snapshots?.close();
  }
}

function fill(event: MotionEvent, episode: Episode): void {
  event.lastSeen = episode.lastSeen;
  event.score = episode.peak;
  event.zones = [...episode.zones].sort();
}
