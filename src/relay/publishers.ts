/**
 * The hub side of cross-network viewing: which edges may publish here and their current connections. A
 * second connection for an edge replaces the first (closed 1008 'replaced'): an edge that lost its network
 * reconnects before the hub notices the old connection is dead, and must not be locked out by it. Each
 * connection is a PublisherSession that tells this, its owner, of hellos, announces and withdrawals; the
 * cameras themselves and their lifetimes are published-cameras.ts's.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { WebSocket } from 'ws';
import { preciseNow } from '../hub/consumer.js';
import type { CameraRegistry } from '../hub/registry.js';
import type { PublishedCameraOptions, PublisherConfig } from './config.js';
import { authenticate, type AuthResult } from './publisher-auth.js';
import { addPublisherMetrics } from './publisher-metrics.js';
import { describePublisher, type PublisherInfo, type PublisherRecord } from './publisher-report.js';
import { PublisherSession, type SessionOwner } from './publisher-session.js';
import {
  PublishedCameras,
  type PublishedCamera,
  type PublishedCameraFactory,
  type PublishedCameraObserver,
} from './published-cameras.js';
import { RelayClose } from './protocol.js';
import { type AnnouncedCamera, type EventMessage } from './messages.js';

/** Told of the motion events edges send (the hub raises them as its own: src/events). */
export interface EdgeEventListener {
  /** An event of a published camera (`camera`: its id here, `<edge>.<camera>`), times on this hub's clock. */
  event(camera: string, message: EventMessage): void;
  /** The edge's connection ended: its events still open are over. */
  edgeGone(edge: string): void;
  /** A JPEG the edge took of its event `event` (its own id), checked by the session. */
  snapshot?(camera: string, event: number, jpeg: Buffer): void;
}

export type { EventMessage } from './messages.js';
export type { AuthResult, PublishedCamera, PublishedCameraFactory, PublishedCameraObserver, PublisherInfo };

const DEFAULT_TIMING: PublishedCameraOptions = { idleGraceMs: 10_000, stallTimeoutMs: 5000, snapshotTimeoutMs: 5000 };

export class Publishers implements SessionOwner {
  private readonly records = new Map<string, PublisherRecord>();
  private readonly cameras: PublishedCameras;
  private closed = false;

  constructor(
    registry: CameraRegistry,
    factory: PublishedCameraFactory,
    publishers: PublisherConfig[],
    private readonly log: Logger,
    timing: PublishedCameraOptions = DEFAULT_TIMING,
  ) {
    this.cameras = new PublishedCameras(registry, factory, timing, log);
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
        configChurnCloses: 0,
        oversizeCloses: 0,
      });
    }
  }

  private eventListener: EdgeEventListener | undefined;

  /** Told of each published camera as it is added and removed. */
  observe(observer: PublishedCameraObserver): void {
    this.cameras.observer = observer;
  }

  /** Told of the motion events edges send. */
  onEvents(listener: EdgeEventListener): void {
    this.eventListener = listener;
  }

  /** SessionOwner: an edge's event. */
  event(camera: PublishedCamera, message: EventMessage): void {
    this.eventListener?.event(camera.id, message);
  }

  /** SessionOwner: an event's snapshot. */
  snapshot(camera: PublishedCamera, event: number, jpeg: Buffer): void {
    this.eventListener?.snapshot?.(camera.id, event, jpeg);
  }

  /** Checks a bearer token at the upgrade (publisher-auth.ts). */
  authenticate(authorization: string | undefined, edge: string | undefined): AuthResult {
    return authenticate(
      [...this.records.values()].map((r) => r.config),
      authorization,
      edge,
    );
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

  // ---- SessionOwner: from the sessions ----

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

  publish(session: PublisherSession, announced: AnnouncedCamera): PublishedCamera {
    return this.cameras.publish(session.publisher, announced);
  }

  announced(session: PublisherSession, ids: ReadonlySet<string>): void {
    this.cameras.announced(session.edge, ids);
  }

  withdrawn(camera: PublishedCamera): void {
    this.cameras.withdrawn(camera);
  }

  detach(session: PublisherSession, reason: string): void {
    const record = this.records.get(session.edge);
    if (!record) return;
    record.bytesEnded += session.bytesReceived;
    record.framesEnded += session.framesReceived;
    if (session.refused === 'config-churn') record.configChurnCloses++;
    if (session.refused === 'picture-size') record.oversizeCloses++;
    if (record.session !== session) return; // a replaced connection, or one that never said hello
    record.session = undefined;
    record.lastDisconnectedAt = Date.now();
    record.lastDisconnectReason = reason;
    if (this.closed) return;
    this.log.warn({ edge: session.edge, reason }, 'edge disconnected');
    // Its cameras show offline for the grace; those not announced again by then go.
    this.cameras.edgeGone(session.edge, record.config.offlineGraceMs);
    // Its open events end here (it sends them again if they still last when it is back).
    this.eventListener?.edgeGone(session.edge);
  }

  // ---- reporting ----

  list(): PublisherInfo[] {
    const now = preciseNow();
    return [...this.records.values()].map((r) => describePublisher(r, this.cameras.of(r.config.name), now));
  }

  /** Per-publisher and per-camera series for /metrics. */
  addMetrics(register: Registry): void {
    addPublisherMetrics(
      register,
      () => this.list(),
      () => this.cameras.all(),
    );
  }

  /** Ends every edge connection (1001) and timer. The cameras belong to the registry, which closes them. */
  close(): void {
    this.closed = true;
    this.cameras.close();
    for (const record of this.records.values()) record.session?.close(RelayClose.GOING_AWAY, 'server shutting down');
  }
}
