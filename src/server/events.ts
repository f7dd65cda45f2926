/**
 * Puts the events together (src/events, src/notify): one tracker per camera with `motion:` fed by
 * its detector, events stored in the recordings' index, snapshots from the hub's JPEG track, the
 * notifiers, cameras recorded around events told when events start and end, and retention told
 * which recordings events keep.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ServerConfig } from '../config/schema.js';
import type { CameraRegistry } from '../hub/registry.js';
import {
  addEventMetrics,
  EventStore,
  Events,
  DEFAULT_EVENTS_RETAIN_DAYS,
  type EventNotice,
  type ObservationSource,
} from '../events/index.js';
import { Notifiers } from '../notify/index.js';
import type { RecordingStore } from '../recording/store.js';
import type { EdgePublisher, Relay } from '../relay/index.js';
import { VERSION } from '../version.js';

/** How often events older than their camera's events_retain_days are deleted. */
const PRUNE_MS = 10 * 60_000;

export interface EventParts {
  events: Events;
  notifiers: Notifiers;
  addMetrics(register: Registry): void;
  close(): Promise<void>;
}

export function setUpEvents(
  config: ServerConfig,
  registry: CameraRegistry,
  recordings: RecordingStore | undefined,
  observations: ObservationSource,
  relay: Relay,
  log: Logger,
): EventParts {
  let store: EventStore | undefined;
  const storeNow = (): EventStore | undefined => {
    if (!recordings) return undefined;
    try {
      const db = recordings.db().handle;
      if (!store) store = new EventStore(() => recordings.db().handle);
      return db ? store : undefined;
    } catch {
      return undefined; // the index is not open now (a disk problem): events are not stored meanwhile
    }
  };
  const events = new Events({
    store: storeNow,
    snapshots: async (id) => {
      const unit = await registry.get(id)?.liveUnit('jpeg');
      return unit && !unit.placeholder ? unit.data : undefined;
    },
    log,
  });
  const configured = new Map(config.cameras.map((c) => [c.id, c]));
  /** events_retain_days: the camera's, else camera_defaults', else 30; never less than its retain_days. */
  const retainDays = (id: string): number => {
    const record = configured.get(id)?.record;
    const days = record?.eventsRetainDays ?? config.recordings?.defaultEventsRetainDays ?? DEFAULT_EVENTS_RETAIN_DAYS;
    return Math.max(days, record?.retainDays ?? config.recordings?.defaultRetainDays ?? 0);
  };
  for (const camera of config.cameras) {
    if (camera.record?.mode === 'events' && !camera.motion) {
      log.warn({ camera: camera.id }, 'record: {mode: events} without motion: this camera records nothing');
    }
    if (!camera.motion) continue;
    events.watch(
      { id: camera.id, timing: camera.motion, recorded: !!camera.record, retainDays: retainDays(camera.id) },
      observations,
    );
  }
  if (recordings) {
    recordings.keepForEvents((camera, from, to) => storeNow()?.spans(camera, from, to) ?? []);
    const timing = (id: string) => configured.get(id)?.motion;
    events.feed.listen(({ type, event }) => {
      if (type === 'start') recordings.eventStarted(event.camera, event.start);
      if (type === 'end')
        recordings.eventEnded(event.camera, event.end ?? event.lastSeen, timing(event.camera)?.postRollMs ?? 5000);
    });
  }
  // Across the relay: an edge tells its hub of its events (a small message, no video), and a hub
  // raises its edges' events as its own (API, MQTT, webhooks). Either side may be an older camrelay.
  const edge = relay.edge;
  if (edge) {
    events.feed.listen((notice) => tellHub(edge, notice));
  }
  relay.publishers.onEvents({
    event: (camera, message) => events.mirror(camera, message, recordings?.status(camera) !== undefined),
    edgeGone: (name) => events.mirrorGone(`${name}.`),
    snapshot: (camera, id, jpeg) => events.mirrorSnapshot(camera, id, jpeg),
  });
  const prune = (): void => events.prune(retainDays);
  prune();
  const pruner = setInterval(prune, PRUNE_MS);
  pruner.unref();
  const notifiers = new Notifiers({
    mqtt: config.mqtt,
    webhooks: config.webhooks ?? [],
    events,
    cameraName: (id) => configured.get(id)?.name ?? id,
    log,
    version: VERSION,
  });
  return {
    events,
    notifiers,
    addMetrics(register) {
      addEventMetrics(register, events);
      notifiers.addMetrics(register);
    },
    async close() {
      clearInterval(pruner);
      // Open events end first (stored, and told: OFF over MQTT), then the notifiers say offline.
      events.close();
      await notifiers.close();
    },
  };
}

/**
 * An event of this edge's own cameras, to its hub (`camrelay publish` and `serve --publish-to`), and its
 * snapshot when one was taken (to a hub that takes them).
 */
export function tellHub(edge: EdgePublisher, { type, event, snapshot }: EventNotice): void {
  if (event.camera.includes('.')) return; // relayed from elsewhere: not this edge's
  edge.event({
    type: 'event',
    camera: event.camera,
    change: type,
    id: event.id,
    start: event.start,
    end: event.end,
    score: Math.round(event.score * 1000) / 1000,
    zones: event.zones,
  });
  if (snapshot) edge.snapshot(event.camera, event.id, snapshot);
}
