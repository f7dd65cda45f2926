/**
 * One hub's part in the cluster: its NATS connection, its heartbeat (its part of the catalogue), the other
 * hubs' cameras in its registry (remote-cameras.ts), and the cameras it publishes on the bus for the hubs
 * that want them (camera-publisher.ts).
 */
import type { Logger } from 'pino';
import type { NatsConnection, Msg } from '@nats-io/transport-node';
import type { CameraRegistry } from '../hub/registry.js';
import { Catalogue, parseBeat, type CatalogueCamera, type HubBeat } from './catalogue.js';
import type { ClusterConfig } from './config.js';
import { BusConnection, shownServer } from './connection.js';
import { CameraPublisher } from './camera-publisher.js';
import { RemoteCameras, REMOTE_KIND, type RemoteCameraFactory } from './remote-cameras.js';
import { subjects, type WantRequest } from './subjects.js';
import { SERVED_CAMERA_ID, CAMERA_ID } from '../camera-id.js';
import type { SessionLink } from '../security/index.js';
import { SharedSessions } from './shared-sessions.js';
import { BusPressure } from './bus-pressure.js';

export class Cluster {
  readonly name: string;
  readonly startedAt = Date.now();
  private readonly bus: BusConnection;
  readonly catalogue: Catalogue;
  readonly remote: RemoteCameras;
  private readonly publishers = new Map<string, CameraPublisher>();
  /** When each of this hub's cameras first appeared here: its claim in the catalogue. */
  private readonly since = new Map<string, number>();
  private subs: { unsubscribe(): void }[] = [];
  private readonly sessions: SharedSessions | undefined;
  private readonly pressure: BusPressure;
  private timer: NodeJS.Timeout | undefined;
  private malformedLogged = 0;
  private nameClashLogged = 0;
  /** Heartbeats and want requests refused as malformed. */
  malformed = 0;

  constructor(
    private readonly config: ClusterConfig,
    private readonly registry: CameraRegistry,
    factory: RemoteCameraFactory,
    private readonly log: Logger,
    /** The hub that records each of this hub's cameras, when it is another one (`record: { on: hub }`). */
    private readonly recordOn: ReadonlyMap<string, RecordElsewhere> = new Map(),
    sessionLink?: SessionLink,
  ) {
    this.name = config.name;
    this.catalogue = new Catalogue(
      config.name,
      config.heartbeatMs,
      () => this.remote.sync(true),
      (hub, event) =>
        event === 'unreachable'
          ? log.warn({ hub, event }, 'cluster: hub unreachable (no heartbeat); its cameras are listed as unreachable')
          : log.info({ hub, event }, `cluster: hub ${event}`),
    );
    const context = {
      self: config.name,
      heartbeatMs: config.heartbeatMs,
      connection: () => this.bus.connection,
      place: (id: string) => this.catalogue.place(id),
    };
    this.remote = new RemoteCameras(registry, factory, this.catalogue, context, log);
    this.pressure = new BusPressure(() => this.bus.connection);
    if (sessionLink) this.sessions = new SharedSessions(sessionLink, () => this.bus.connection, config.name);
    this.bus = new BusConnection(
      config,
      { connected: (nc) => this.connected(nc), disconnected: () => this.disconnected() },
      log,
    );
  }

  start(): void {
    this.bus.start();
    this.pressure.start();
    this.timer = setInterval(() => this.tick(), this.config.heartbeatMs);
    this.timer.unref();
  }

  private connected(nc: NatsConnection): void {
    this.pressure.reset();
    for (const sub of this.subs) sub.unsubscribe();
    this.subs = [
      nc.subscribe(subjects.beats, {
        callback: (err, msg) => {
          if (!err) this.heard(msg);
        },
      }),
      nc.subscribe(subjects.want(this.name), {
        callback: (err, msg) => {
          if (!err) void this.wanted(msg);
        },
      }),
      ...(this.sessions?.subscribe(nc) ?? []),
    ];
    this.beat();
    // Pulls that ended while the bus was away start again now, not after their backoff.
    this.remote.sync(true);
  }

  private disconnected(): void {
    // Nothing this hub publishes reaches anyone; the hubs that want a camera ask again once back.
    for (const p of this.publishers.values()) p.stop();
    this.remote.busLost();
  }

  private tick(): void {
    const now = Date.now();
    for (const p of this.publishers.values()) p.sweep(now);
    this.catalogue.sweep(now);
    this.remote.sync();
    this.beat();
  }

  /** This hub's own cameras (its config's and its edges'), not the remote ones. */
  private ownCameras() {
    return this.registry.list().filter((s) => s.kind !== REMOTE_KIND);
  }

  private beat(): void {
    const nc = this.bus.connection;
    if (!nc) return;
    const now = Date.now();
    const own = this.ownCameras();
    for (const id of this.since.keys()) if (!own.some((s) => s.id === id)) this.since.delete(id);
    const cameras: CatalogueCamera[] = own.map((s) => {
      if (!this.since.has(s.id)) this.since.set(s.id, now);
      const info = s.info();
      const elsewhere = this.recordOn.get(s.id);
      return {
        id: s.id,
        name: s.name,
        kind: s.kind,
        state: info.state,
        codec: info.codec,
        width: info.width,
        height: info.height,
        since: this.since.get(s.id)!,
        ...(elsewhere ? { recordOn: elsewhere.on, record: elsewhere.record } : {}),
      };
    });
    const beat: HubBeat = {
      v: 1,
      hub: this.name,
      startedAt: this.startedAt,
      cameras,
      pulls: this.remote
        .all()
        .filter((c) => c.source.from)
        .map((c) => c.stream.id),
      publishes: [...this.publishers.values()]
        .filter((p) => p.active)
        .map((p) => ({ camera: p.id, hubs: p.hubs(), bytes: p.bytes, units: p.units })),
    };
    nc.publish(subjects.beat(this.name), JSON.stringify(beat));
  }

  private heard(msg: Msg): void {
    const parsed = parseBeat(msg.data);
    if (!parsed.ok) return this.malformedMessage('heartbeat', parsed.reason);
    if (msg.subject !== subjects.beat(parsed.message.hub)) return this.malformedMessage('heartbeat', 'subject');
    if (parsed.message.hub === this.name && parsed.message.startedAt !== this.startedAt) {
      // Two hubs with one name would take each other's wants and hide each other's cameras.
      const now = Date.now();
      if (now - this.nameClashLogged > 60_000) {
        this.nameClashLogged = now;
        this.log.error(
          { hub: this.name },
          "cluster: another hub uses this hub's name: give each hub its own cluster.name",
        );
      }
      return;
    }
    this.catalogue.heard(parsed.message);
  }

  private async wanted(msg: Msg): Promise<void> {
    let want: WantRequest;
    try {
      want = msg.json<WantRequest>();
    } catch {
      return this.malformedMessage('want', 'not JSON');
    }
    if (
      typeof want !== 'object' ||
      want === null ||
      typeof want.camera !== 'string' ||
      !SERVED_CAMERA_ID.test(want.camera) ||
      typeof want.hub !== 'string' ||
      !CAMERA_ID.test(want.hub)
    )
      return this.malformedMessage('want', 'fields');
    const answer = (body: { ok: boolean; error?: string }) => {
      if (msg.reply) msg.respond(JSON.stringify(body));
    };
    const stream = this.registry.get(want.camera);
    if (!stream || stream.kind === REMOTE_KIND) return answer({ ok: false, error: 'not a camera of this hub' });
    let publisher = this.publishers.get(want.camera);
    if (want.stop) {
      publisher?.unwant(want.hub);
      return answer({ ok: true });
    }
    if (!publisher || this.registry.get(want.camera) !== publisher.stream) {
      publisher?.stop();
      publisher = new CameraPublisher(
        stream,
        () => this.bus.connection,
        this.config.heartbeatMs,
        this.log,
        this.pressure,
      );
      this.publishers.set(want.camera, publisher);
    }
    try {
      await publisher.want(want.hub, want.catchUp === true);
      answer({ ok: true });
    } catch (err) {
      publisher.unwant(want.hub);
      answer({ ok: false, error: (err as Error).message });
    }
  }

  private malformedMessage(what: string, reason: string): void {
    this.malformed++;
    const now = Date.now();
    if (now - this.malformedLogged < 60_000) return;
    this.malformedLogged = now;
    this.log.warn({ what, reason }, 'cluster: dropped a malformed message from the bus');
  }

  /** GET /api/cluster. */
  info(): ClusterInfo {
    const now = Date.now();
    const hubs: ClusterInfo['hubs'] = [
      {
        name: this.name,
        self: true,
        reachable: this.bus.state === 'connected',
        startedAt: this.startedAt,
        lastSeen: now,
        cameras: this.ownCameras().map((s) => s.id),
        pulls: this.remote
          .all()
          .filter((c) => c.source.from)
          .map((c) => c.stream.id),
      },
      ...this.catalogue.entries().map((e) => ({
        name: e.beat.hub,
        self: false,
        reachable: e.reachable,
        startedAt: e.beat.startedAt,
        lastSeen: e.lastSeen,
        cameras: e.beat.cameras.map((c) => c.id),
        pulls: e.beat.pulls,
      })),
    ];
    const cameras: ClusterInfo['cameras'] = [];
    for (const s of this.ownCameras()) {
      const p = this.publishers.get(s.id);
      cameras.push({
        id: s.id,
        owner: this.name,
        state: s.state,
        reachable: true,
        pulledBy: p?.active ? p.hubs() : [],
        bus: {
          bytesOut: p?.bytes ?? 0,
          unitsOut: p?.units ?? 0,
          dropped: p?.dropped ?? 0,
          catchUps: p?.catchUps ?? 0,
          bytesIn: 0,
          unitsIn: 0,
          gaps: 0,
          rejected: 0,
        },
      });
    }
    for (const id of this.catalogue.cameraIds()) {
      const place = this.catalogue.place(id)!;
      const pulled = this.remote.get(id)?.source;
      const entry = this.catalogue.entries().find((e) => e.beat.hub === place.owner);
      const published = entry?.beat.publishes.find((p) => p.camera === id);
      cameras.push({
        id,
        owner: place.owner,
        state: place.reachable ? place.camera.state : 'unreachable',
        reachable: place.reachable,
        pulledBy: published?.hubs ?? [],
        shadowed: !this.remote.get(id) && this.registry.get(id) !== undefined,
        bus: {
          bytesOut: published?.bytes ?? 0,
          unitsOut: published?.units ?? 0,
          dropped: 0,
          catchUps: 0,
          bytesIn: pulled?.tally.bytes ?? 0,
          unitsIn: pulled?.tally.units ?? 0,
          gaps: pulled?.tally.gaps ?? 0,
          rejected: pulled?.tally.rejected ?? 0,
        },
      });
    }
    return {
      hub: this.name,
      nats: {
        state: this.bus.state,
        since: this.bus.since,
        server: this.bus.server ? shownServer(this.bus.server) : null,
        reconnects: this.bus.reconnects,
      },
      hubs,
      cameras,
      malformed: this.malformed,
      congestions: this.pressure.congestions,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.pressure.stop();
    for (const p of this.publishers.values()) p.stop();
    for (const c of this.remote.all()) await c.source.stop();
    this.remote.close();
    for (const sub of this.subs) sub.unsubscribe();
    await this.bus.close();
  }
}

/** One of this hub's cameras that another hub records. */
export interface RecordElsewhere {
  on: string;
  record: { retainDays: number; retainBytes?: number };
}

export interface ClusterInfo {
  hub: string;
  nats: { state: string; since: number; server: string | null; reconnects: number };
  hubs: {
    name: string;
    self: boolean;
    reachable: boolean;
    startedAt: number;
    lastSeen: number;
    cameras: string[];
    pulls: string[];
  }[];
  cameras: {
    id: string;
    owner: string;
    state: string;
    reachable: boolean;
    /** The hubs that pull it now. */
    pulledBy: string[];
    /** A camera of this hub with the same id hides it here. */
    shadowed?: boolean;
    /** Owner's figures (bytes and units published once for the cluster); this hub's (what it took). */
    bus: {
      bytesOut: number;
      unitsOut: number;
      /** This hub's own cameras: units not put on the bus (its link to NATS behind, or not connected). */
      dropped: number;
      /** This hub's own cameras: groups of pictures sent to hubs as they joined. */
      catchUps: number;
      bytesIn: number;
      unitsIn: number;
      gaps: number;
      rejected: number;
    };
  }[];
  malformed: number;
  /** Times this hub's own link to NATS fell behind (its cameras then left the bus until the next keyframe). */
  congestions: number;
}
