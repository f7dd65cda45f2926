/**
 * The hub side of cross-network viewing: which edges may publish, their
 * current connections, and the cameras they publish. Each published camera is
 * an ordinary CameraStream (kind 'relay', id `<edge>.<camera>`) in the
 * server's registry, so every output serves it like a local one; its source
 * is a RemoteSource bound to the edge's current connection.
 *
 * Lifetimes:
 * - A camera appears at its first announce. An edge publishes at most its
 *   `maxCameras` (a bigger announce is refused, 1008); an announce from a new
 *   connection withdraws the edge's cameras it leaves out.
 * - When the edge's connection ends, its cameras show offline for its
 *   `offlineGraceMs`; those it has not announced again by then are withdrawn.
 * - Withdrawn: removed at once when nobody watches it; otherwise it shows
 *   offline and is removed when its last viewer leaves (checked every few
 *   seconds), so no viewer is ever left on a camera that no longer exists.
 *   Announcing it again before then brings it back.
 * - A second connection for an edge replaces the first (closed 1008
 *   'replaced'): an edge that lost its network reconnects before the hub
 *   notices the old connection is dead, and must not be locked out by it.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { WebSocket } from 'ws';
import { CameraStream, type CameraState } from '../hub/camera-stream.js';
import { preciseNow } from '../hub/consumer.js';
import type { TrackConfig } from '../media/index.js';
import type { CameraRegistry } from '../hub/registry.js';
import { verifyToken } from '../security/secrets.js';
import { renderPlaceholder } from '../ffmpeg/placeholder.js';
import type { PublishedCameraOptions, PublisherConfig } from './config.js';
import { PublisherSession } from './publisher-session.js';
import { RELAY_CODECS, RelayClose, type AnnouncedCamera, type RelayCodec } from './protocol.js';
import { RemoteSource } from './remote-source.js';
import { UplinkTally } from './uplink-tally.js';

export interface PublishedCamera {
  /** `<edge>.<camera>` */
  readonly id: string;
  readonly edge: string;
  readonly stream: CameraStream;
  readonly source: RemoteSource;
  withdrawn: boolean;
  /** The newest H.264 configuration the edge sent (kept across connections: same bytes, same object). */
  h264Config: TrackConfig | undefined;
  readonly uplink: UplinkTally;
}

interface PublisherRecord {
  config: PublisherConfig;
  session: PublisherSession | undefined;
  connections: number;
  /** Totals over every connection, the current one included at read time. */
  bytesEnded: number;
  framesEnded: number;
  lastConnectedAt: number | null;
  lastDisconnectedAt: number | null;
  lastDisconnectReason: string | null;
  /** Withdraws the cameras of a gone connection once the grace is over. */
  expiryTimer: NodeJS.Timeout | undefined;
}

export interface PublisherInfo {
  name: string;
  connected: boolean;
  remoteAddress: string | null;
  connectedAt: number | null;
  lastDisconnectedAt: number | null;
  lastDisconnectReason: string | null;
  connections: number;
  /** Over every connection since the hub started. */
  bytesReceived: number;
  framesReceived: number;
  /** The current connection's counters (null while disconnected). */
  session: { bytesReceived: number; framesReceived: number } | null;
  /** The codecs the current connection may send (negotiated in the hellos); null while disconnected. */
  codecs: RelayCodec[] | null;
  /** The edge's clock minus the hub's (ms, from pings); null until measured (an older edge does not answer). */
  clockOffsetMs: number | null;
  /** The round trip of the ping the clock offset follows (ms). */
  clockRttMs: number | null;
  /** Bits per second received over the uplink in the last whole second, all cameras. */
  bitrate: number;
  cameras: {
    id: string;
    state: CameraState;
    viewerCount: number;
    withdrawn: boolean;
    /** The codec of the newest frame over the uplink; null before the first. */
    codec: RelayCodec | null;
    /** Bits per second received over the uplink in the last whole second. */
    bitrate: number;
    bytesReceived: number;
    framesReceived: number;
  }[];
}

export type AuthResult = { ok: true; publisher: PublisherConfig } | { ok: false; status: 401 | 403; message: string };

/** How often withdrawn cameras that still had viewers are checked for removal. */
const SWEEP_MS = 2000;

const DEFAULT_TIMING: PublishedCameraOptions = { idleGraceMs: 10_000, stallTimeoutMs: 5000, snapshotTimeoutMs: 5000 };

/** Told of each published camera as it is added and removed (the recording store, for `publishers[].record`). */
export interface PublishedCameraObserver {
  added(stream: CameraStream, publisher: PublisherConfig): void;
  removed(id: string): void;
}

export class Publishers {
  private readonly records = new Map<string, PublisherRecord>();
  private readonly cameras = new Map<string, PublishedCamera>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private observer: PublishedCameraObserver | undefined;

  observe(observer: PublishedCameraObserver): void {
    this.observer = observer;
  }

  constructor(
    private readonly registry: CameraRegistry,
    publishers: PublisherConfig[],
    private readonly log: Logger,
    private readonly timing: PublishedCameraOptions = DEFAULT_TIMING,
  ) {
    for (const config of publishers) {
      this.records.set(config.name, {
        config,
        session: undefined,
        connections: 0,
        bytesEnded: 0,
        framesEnded: 0,
        lastConnectedAt: null,
        lastDisconnectedAt: null,
        lastDisconnectReason: null,
        expiryTimer: undefined,
      });
    }
  }

  /**
   * Checks a bearer token at the upgrade. Every publisher's hash is compared
   * (constant time each, no early exit), so the time taken says nothing
   * about which edge, if any, a guess came close to.
   */
  authenticate(authorization: string | undefined, edge: string | undefined): AuthResult {
    const m = /^Bearer +([\x21-\x7e]{1,512})$/.exec(authorization ?? '');
    if (!m) return { ok: false, status: 401, message: 'a publish token is required: Authorization: Bearer <token>' };
    let match: PublisherConfig | undefined;
    for (const { config } of this.records.values()) {
      if (verifyToken(m[1]!, config.tokenHash) && !match) match = config;
    }
    if (!match) return { ok: false, status: 401, message: 'invalid publish token' };
    if (edge !== undefined && edge !== match.name)
      return { ok: false, status: 403, message: `this token may not publish as edge "${edge}"` };
    return { ok: true, publisher: match };
  }

  /** A socket upgraded after authenticate(); the session waits for the edge's hello. */
  accept(socket: WebSocket, publisher: PublisherConfig, remoteAddress: string): PublisherSession {
    const session = new PublisherSession(
      socket,
      this,
      publisher,
      remoteAddress,
      this.log.child({ edge: publisher.name, remoteAddress }),
    );
    if (this.closed) session.close(RelayClose.GOING_AWAY, 'server shutting down');
    return session;
  }

  // ---- from sessions ----

  /** The edge said hello: this connection is now the edge's. */
  attach(session: PublisherSession): void {
    const record = this.records.get(session.edge);
    if (!record) return session.close(RelayClose.POLICY_VIOLATION, 'unknown edge');
    const previous = record.session;
    record.session = session;
    record.connections++;
    record.lastConnectedAt = session.connectedAt;
    if (previous && previous !== session) {
      this.log.warn(
        { edge: session.edge, previous: previous.remoteAddress, now: session.remoteAddress },
        'edge connected again; replacing its previous connection',
      );
      previous.close(RelayClose.POLICY_VIOLATION, 'replaced');
    }
    this.log.info({ edge: session.edge, remoteAddress: session.remoteAddress }, 'edge connected');
  }

  /** The camera for an announce, created on its first one. */
  publish(session: PublisherSession, announced: AnnouncedCamera): PublishedCamera {
    const id = `${session.edge}.${announced.id}`;
    let camera = this.cameras.get(id);
    if (!camera) {
      const source = new RemoteSource(session.edge);
      const stream = new CameraStream(
        {
          id,
          name: `${announced.name} (${session.edge})`,
          kind: 'relay',
          alwaysOn: false, // on demand: an unwatched camera sends nothing over the edge's uplink
          idleGraceMs: this.timing.idleGraceMs,
          stallTimeoutMs: this.timing.stallTimeoutMs,
          snapshotTimeoutMs: this.timing.snapshotTimeoutMs,
          ...(announced.width && announced.height
            ? { expectedSize: { width: announced.width, height: announced.height } }
            : {}),
        },
        source,
        renderPlaceholder,
        this.log,
      );
      camera = {
        id,
        edge: session.edge,
        stream,
        source,
        withdrawn: false,
        h264Config: undefined,
        uplink: new UplinkTally(),
      };
      this.cameras.set(id, camera);
      this.registry.add(stream);
      this.log.info({ camera: id, edge: session.edge }, 'published camera added');
      const publisher = this.records.get(session.edge)?.config;
      if (publisher) this.observer?.added(stream, publisher);
    }
    camera.withdrawn = false;
    return camera;
  }

  /**
   * A connection of the edge announced `ids` (within its cap): the edge's
   * cameras left over from earlier connections and not among them are withdrawn.
   */
  announced(session: PublisherSession, ids: ReadonlySet<string>): void {
    for (const camera of [...this.cameras.values()]) {
      if (camera.edge !== session.edge || camera.withdrawn || camera.source.bound) continue;
      if (!ids.has(camera.id.slice(session.edge.length + 1))) this.withdraw(camera, 'not announced again by the edge');
    }
  }

  /** The edge withdrew the camera (its link is already unbound). */
  withdrawn(camera: PublishedCamera): void {
    camera.withdrawn = true;
    if (!this.removeIfUnwatched(camera)) {
      this.log.info({ camera: camera.id }, 'published camera withdrawn; removed when its last viewer leaves');
      this.sweepTimer ??= setInterval(() => this.sweep(), SWEEP_MS);
      this.sweepTimer.unref();
    }
  }

  detach(session: PublisherSession, reason: string): void {
    const record = this.records.get(session.edge);
    if (!record) return;
    record.bytesEnded += session.bytesReceived;
    record.framesEnded += session.framesReceived;
    if (record.session !== session) return; // a replaced connection, or one that never said hello
    record.session = undefined;
    record.lastDisconnectedAt = Date.now();
    record.lastDisconnectReason = reason;
    if (this.closed) return;
    this.log.warn({ edge: session.edge, reason }, 'edge disconnected');
    // Its cameras show offline for the grace; those not announced again by then go.
    clearTimeout(record.expiryTimer);
    record.expiryTimer = setTimeout(() => {
      record.expiryTimer = undefined;
      for (const camera of [...this.cameras.values()]) {
        if (camera.edge === session.edge && !camera.withdrawn && !camera.source.bound) {
          this.withdraw(camera, `edge away for ${record.config.offlineGraceMs / 1000}s`);
        }
      }
    }, record.config.offlineGraceMs);
    record.expiryTimer.unref();
  }

  // ---- reporting ----

  list(): PublisherInfo[] {
    const now = preciseNow();
    const round = (v: number | undefined): number | null => (v === undefined ? null : Math.round(v * 10) / 10);
    return [...this.records.values()].map((r) => {
      const s = r.session;
      const cameras = this.cameraInfo(r.config.name, now);
      return {
        name: r.config.name,
        connected: !!s,
        remoteAddress: s?.remoteAddress ?? null,
        connectedAt: s ? s.connectedAt : null,
        lastDisconnectedAt: r.lastDisconnectedAt,
        lastDisconnectReason: r.lastDisconnectReason,
        connections: r.connections,
        bytesReceived: r.bytesEnded + (s?.bytesReceived ?? 0),
        framesReceived: r.framesEnded + (s?.framesReceived ?? 0),
        session: s ? { bytesReceived: s.bytesReceived, framesReceived: s.framesReceived } : null,
        codecs: s ? [...s.codecs] : null,
        clockOffsetMs: round(s?.clock.offsetMs),
        clockRttMs: round(s?.clock.rttMs),
        bitrate: cameras.reduce((n, c) => n + c.bitrate, 0),
        cameras,
      };
    });
  }

  /** The edge's cameras for list(). */
  private cameraInfo(edge: string, now: number): PublisherInfo['cameras'] {
    return [...this.cameras.values()]
      .filter((c) => c.edge === edge)
      .map((c) => ({
        id: c.id,
        state: c.stream.state,
        viewerCount: c.stream.viewers().length,
        withdrawn: c.withdrawn,
        codec: c.uplink.codec ?? null,
        bitrate: c.uplink.bitrate(now),
        bytesReceived: c.uplink.bytes.jpeg + c.uplink.bytes.h264,
        framesReceived: c.uplink.frames.jpeg + c.uplink.frames.h264,
      }));
  }

  /** Per-publisher series for /metrics. */
  addMetrics(register: Registry): void {
    const publishers = (): PublisherInfo[] => this.list();
    const series = (
      kind: 'counter' | 'gauge',
      name: string,
      help: string,
      value: (p: PublisherInfo) => number,
    ): void => {
      const Metric = kind === 'counter' ? Counter : Gauge;
      new Metric({
        name,
        help,
        labelNames: ['publisher'],
        registers: [register],
        collect(this: Counter | Gauge) {
          this.reset();
          for (const p of publishers()) this.inc({ publisher: p.name }, value(p));
        },
      });
    };
    series('gauge', 'camrelay_publisher_connected', '1 while the edge is connected', (p) => (p.connected ? 1 : 0));
    series(
      'counter',
      'camrelay_publisher_received_bytes_total',
      'Bytes received from the edge (messages, all connections)',
      (p) => p.bytesReceived,
    );
    series('counter', 'camrelay_publisher_frames_total', 'Frames received from the edge', (p) => p.framesReceived);
    series(
      'counter',
      'camrelay_publisher_connections_total',
      'Connections accepted from the edge',
      (p) => p.connections,
    );
    // Per published camera and codec: what its uplink carried (rate() of the bytes is its bitrate).
    const cameras = (): PublishedCamera[] => [...this.cameras.values()];
    const uplink = (name: string, help: string, value: (c: PublishedCamera, codec: RelayCodec) => number): void => {
      new Counter({
        name,
        help,
        labelNames: ['edge', 'camera', 'codec'],
        registers: [register],
        collect(this: Counter) {
          this.reset();
          for (const c of cameras())
            for (const codec of RELAY_CODECS)
              if (c.uplink.frames[codec] > 0) this.inc({ edge: c.edge, camera: c.id, codec }, value(c, codec));
        },
      });
    };
    uplink(
      'camrelay_relay_uplink_bytes_total',
      'Bytes of frames received over the edge uplink, per published camera and codec',
      (c, codec) => c.uplink.bytes[codec],
    );
    uplink(
      'camrelay_relay_uplink_frames_total',
      'Frames received over the edge uplink, per published camera and codec',
      (c, codec) => c.uplink.frames[codec],
    );
    new Gauge({
      name: 'camrelay_relay_clock_offset_seconds',
      help: "The edge's clock minus the hub's, estimated from pings over the uplink",
      labelNames: ['publisher'],
      registers: [register],
      collect(this: Gauge) {
        this.reset();
        for (const p of publishers())
          if (p.clockOffsetMs !== null) this.set({ publisher: p.name }, p.clockOffsetMs / 1000);
      },
    });
  }

  /** Ends every edge connection (1001) and timer. The cameras belong to the registry, which closes them. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const record of this.records.values()) {
      clearTimeout(record.expiryTimer);
      record.session?.close(RelayClose.GOING_AWAY, 'server shutting down');
    }
  }

  // ---- removal of withdrawn cameras ----

  /** Withdrawn by the hub itself (the edge is gone, or left it out of a new announce). */
  private withdraw(camera: PublishedCamera, reason: string): void {
    this.log.info({ camera: camera.id, edge: camera.edge, reason }, 'published camera withdrawn');
    this.withdrawn(camera);
  }

  private removeIfUnwatched(camera: PublishedCamera): boolean {
    if (camera.stream.watcherCount > 0 || this.cameras.get(camera.id) !== camera) return false;
    this.cameras.delete(camera.id);
    this.observer?.removed(camera.id);
    this.registry.remove(camera.id);
    void camera.stream.close();
    this.log.info({ camera: camera.id }, 'published camera removed');
    return true;
  }

  private sweep(): void {
    let waiting = false;
    for (const camera of [...this.cameras.values()]) {
      if (camera.withdrawn && !this.removeIfUnwatched(camera)) waiting = true;
    }
    if (!waiting) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }
}
