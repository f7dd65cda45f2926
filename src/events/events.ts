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

/** A change of an event detected elsewhere (an edge's), its times on this server's clock. */
export interface MirroredChange {
  change: 'start' | 'update' | 'end';
  id: number;
  start: number;
  end: number | null;
  score: number;
  zones: string[];
}

/** The clip of an edge's event: the defaults' pre- and post-roll (the edge's own are not told). */
const MIRROR_TIMING: EventTiming = { minDurationMs: 0, endAfterMs: 10_000, preRollMs: 5000, postRollMs: 5000 };
const MAX_MIRRORED = 1024;

/** Ids of events kept in memory start here (the store's count from 1). */
const MEMORY_ID_BASE = 1e14;
const MEMORY_EVENTS = 1000;
/** Of the events in memory, the newest this many keep their snapshots. */
const MEMORY_SNAPSHOTS = 32;
const stored = (id: number): boolean => id < MEMORY_ID_BASE;

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
  /** Open events raised for another server's detector (an edge's), by `<camera>#<its id>`. */
  private readonly mirrored = new Map<string, MotionEvent>();
  /** This server's id of each mirrored event, by `<camera>#<its id>`, also once ended (for late snapshots). */
  private readonly mirroredIds = new Map<string, number>();
  /** Cameras with mirrored events, and whether they are recorded here. */
  private readonly mirroredCameras = new Map<string, boolean>();
  private readonly snapshots: SnapshotTaker | undefined;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  /** Events the store could not take (none open, a disk problem), kept in memory, newest last. */
  private readonly memory = new Map<
    number,
    { event: MotionEvent; preRollMs: number; postRollMs: number; snapshot?: Buffer }
  >();
  private nextMemoryId = MEMORY_ID_BASE + 1;
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
    const own = this.followed.get(camera)?.event;
    if (own) return own;
    for (const e of this.mirrored.values()) if (e.camera === camera) return e;
    return undefined;
  }

  /** Every camera with events now (followed here, or raised by an edge), and whether one is open. */
  cameraStates(): { id: string; motion: boolean }[] {
    const ids = new Set([...this.followed.keys(), ...this.mirroredCameras.keys()]);
    return [...ids].map((id) => ({ id, motion: !!this.active(id) }));
  }

  /**
   * An event detected elsewhere (an edge's, over the relay), raised here as this server's own: stored
   * with an id of its own, told to the feed. `change.id` is the event's id where it was detected.
   */
  mirror(camera: string, change: MirroredChange, recorded: boolean): void {
    if (this.closed) return;
    this.mirroredCameras.set(camera, recorded);
    const key = `${camera}#${change.id}`;
    let event = this.mirrored.get(key);
    const now = this.now();
    if (!event) {
      if (change.change === 'end' && change.end === null) return;
      event = this.create(
        { id: camera, timing: MIRROR_TIMING, recorded, retainDays: DEFAULT_EVENTS_RETAIN_DAYS },
        {
          start: change.start,
          lastSeen: Math.max(change.start, Math.min(now, change.end ?? now)),
          peak: change.score,
          peakAt: change.start,
          zones: new Set(change.zones),
        },
      );
      this.mirrored.set(key, event);
      this.mirroredIds.set(key, event.id);
      // Bounded: an edge that never ends its events cannot grow this without end.
      if (this.mirrored.size > MAX_MIRRORED) this.mirrored.delete(this.mirrored.keys().next().value!);
      if (this.mirroredIds.size > MAX_MIRRORED) this.mirroredIds.delete(this.mirroredIds.keys().next().value!);
      this.started.set(camera, (this.started.get(camera) ?? 0) + 1);
      this.feed.emit({ type: 'start', event: { ...event } });
      if (change.change === 'start') return;
    }
    event.score = Math.max(event.score, change.score);
    event.zones = [...new Set([...event.zones, ...change.zones])].sort();
    event.lastSeen = Math.max(event.lastSeen, Math.min(now, change.end ?? now));
    if (change.change === 'end') {
      event.end = Math.max(event.start, change.end ?? event.lastSeen);
      this.mirrored.delete(key);
    }
    this.persistMirrored(event);
    this.feed.emit({ type: change.change === 'end' ? 'end' : 'update', event: { ...event } });
  }

  /**
   * A snapshot of an event detected elsewhere (`id`: its id there), taken there near its peak: stored with
   * this server's event and told to the feed (MQTT's snapshot topic), as one taken here would be.
   */
  mirrorSnapshot(camera: string, id: number, jpeg: Buffer): void {
    if (this.closed) return;
    const key = `${camera}#${id}`;
    const ours = this.mirroredIds.get(key);
    if (ours === undefined) return; // an event this server never heard of (or long gone)
    const found = this.mirrored.get(key) ?? this.get(ours);
    if (!found) return;
    const event: MotionEvent = this.mirrored.get(key) ?? {
      id: found.id,
      camera: found.camera,
      start: found.start,
      end: found.end,
      lastSeen: found.lastSeen,
      score: found.score,
      zones: found.zones,
      hasSnapshot: found.hasSnapshot,
    };
    if (!this.keepSnapshot(event.id, jpeg)) return;
    event.hasSnapshot = true;
    this.feed.emit({ type: 'update', event: { ...event }, snapshot: jpeg });
  }

  /** The source of mirrored events went away (an edge disconnected): its open events end at their last motion. */
  mirrorGone(cameraPrefix: string): void {
    for (const [key, event] of [...this.mirrored]) {
      if (!event.camera.startsWith(cameraPrefix)) continue;
      this.mirrored.delete(key);
      event.end = event.lastSeen;
      this.persistMirrored(event);
      this.feed.emit({ type: 'end', event: { ...event } });
    }
  }

  private persistMirrored(event: MotionEvent): void {
    if (!stored(event.id)) return;
    try {
      this.options.store()?.update(event);
    } catch (err) {
      this.storeFailed(err);
    }
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
    let id: number | undefined;
    try {
      id = this.options.store()?.insert(base);
    } catch (err) {
      this.storeFailed(err);
    }
    const event: MotionEvent = {
      id: id ?? this.nextMemoryId++,
      camera: base.camera,
      start: base.start,
      end: null,
      lastSeen: base.lastSeen,
      score: base.score,
      zones: base.zones,
      hasSnapshot: false,
    };
    if (id === undefined) this.remember(event, base.preRollMs, base.postRollMs);
    return event;
  }

  /** An event without the store: in memory (bounded: the oldest go, and all but the newest snapshots). */
  private remember(event: MotionEvent, preRollMs: number, postRollMs: number): void {
    this.memory.set(event.id, { event, preRollMs, postRollMs });
    if (this.memory.size > MEMORY_EVENTS) this.memory.delete(this.memory.keys().next().value!);
    let n = 0;
    for (const entry of [...this.memory.values()].reverse())
      if (entry.snapshot && ++n > MEMORY_SNAPSHOTS) delete entry.snapshot;
  }

  private fromMemory(id: number): StoredEvent | undefined {
    const m = this.memory.get(id);
    return m && { ...m.event, zones: [...m.event.zones], preRollMs: m.preRollMs, postRollMs: m.postRollMs };
  }

  private persist(watched: Watched, event: MotionEvent): void {
    watched.persistedAt = event.lastSeen;
    if (!stored(event.id)) return; // in memory: the same object
    try {
      this.options.store()?.update(event);
    } catch (err) {
      this.storeFailed(err);
    }
  }

  private snapshotTaken(event: MotionEvent, jpeg: Buffer): void {
    if (!this.keepSnapshot(event.id, jpeg)) return;
    const first = !event.hasSnapshot;
    event.hasSnapshot = true;
    const watched = this.followed.get(event.camera);
    if (watched?.event?.id === event.id) watched.event.hasSnapshot = true;
    // The feed hears of it as an update (the event JSON now names its snapshot), with the picture.
    if (first || watched?.event?.id === event.id)
      this.feed.emit({ type: 'update', event: { ...event }, snapshot: jpeg });
  }

  /** Stores an event's snapshot (in the index, or with an event kept in memory); false when it cannot. */
  private keepSnapshot(id: number, jpeg: Buffer): boolean {
    if (!stored(id)) {
      const m = this.memory.get(id);
      if (!m) return false;
      m.snapshot = jpeg;
      m.event.hasSnapshot = true;
      return true;
    }
    try {
      return this.options.store()?.setSnapshot(id, jpeg) ?? false;
    } catch (err) {
      this.storeFailed(err);
      return false;
    }
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
    const ids = new Set([...this.followed.keys(), ...this.mirroredCameras.keys()]);
    for (const { event } of this.memory.values()) ids.add(event.camera);
    try {
      for (const c of this.options.store()?.cameras() ?? []) ids.add(c);
    } catch (err) {
      this.storeFailed(err);
    }
    return [...ids].sort();
  }

  list(q: EventQuery): StoredEvent[] {
    const out = this.options.store()?.list(q) ?? [];
    if (!this.memory.size) return out;
    for (const { event } of this.memory.values()) {
      if (q.cameras && !q.cameras.includes(event.camera)) continue;
      if (event.start < q.end && (event.end ?? event.lastSeen) >= q.start) out.push(this.fromMemory(event.id)!);
    }
    return out.sort((a, b) => b.start - a.start || b.id - a.id).slice(0, q.limit);
  }

  get(id: number): StoredEvent | undefined {
    return stored(id) ? this.options.store()?.get(id) : this.fromMemory(id);
  }

  snapshot(id: number): Buffer | undefined {
    return stored(id) ? this.options.store()?.snapshot(id) : this.memory.get(id)?.snapshot;
  }

  /** The event as the world sees it: a clip when the camera is recorded (or has recordings). */
  json(event: MotionEvent, recorded = this.recorded(event.camera)): EventJson {
    return eventJson(event, recorded);
  }

  recorded(camera: string): boolean {
    return this.followed.get(camera)?.camera.recorded ?? this.mirroredCameras.get(camera) ?? true;
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
