/**
 * The edge: publishes this machine's cameras to a hub over one outbound
 * WebSocket (so it works from behind NAT), reconnecting with backoff forever.
 * Each connection attempt is an EdgeSession (edge-session.ts); each camera the
 * hub wants is an Uplink on it (uplink.ts).
 */
import type { Logger } from 'pino';
import { Backoff } from '../hub/backoff.js';
import type { CameraStream } from '../hub/camera-stream.js';
import type { CameraRegistry } from '../hub/registry.js';
import type { SourceSpec } from '../sources/spec.js';
import type { PublishTarget } from './config.js';
import { EdgeSession, type SessionOutcome } from './edge-session.js';
import type { Failure } from './failure.js';
import { DEFAULT_UPLINK_WINDOW, PUBLISH_PATH, RelayClose } from './protocol.js';
import { type AnnouncedCamera, type EventMessage } from './messages.js';

/** Open events kept to send again at a reconnection. */
const MAX_OPEN_EVENTS = 256;

export interface EdgeOptions {
  /** Nominal frames per second per camera id, where the config says (announced; 0 = unknown). */
  fps?: ReadonlyMap<string, number>;
  /** Unacknowledged frames per camera. */
  window?: number;
  /** No new frame is handed to ws while more than this waits in user space. */
  maxBufferedBytes?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /**
   * The cameras with motion detection here, and their `min_duration` (ms): only these are kept in memory for
   * a hub's events (`buffer`), that much longer (an event is told that long after its motion began); a hub's
   * request for another is ignored (it has no events). Unset: any camera.
   */
  motion?: ReadonlyMap<string, number>;
}

/** The cameras of a config with `motion:` and their min_duration (EdgeOptions.motion). */
export function motionCameras(
  cameras: readonly { id: string; motion?: { minDurationMs: number } | undefined }[],
): Map<string, number> {
  return new Map(cameras.flatMap((c) => (c.motion ? [[c.id, c.motion.minDurationMs] as const] : [])));
}

export type EdgeState = 'connecting' | 'connected' | 'waiting' | 'closed';

/** `wss://hub:8443` or `wss://hub/prefix/` → the publish endpoint, with the edge name for the upgrade check. */
export function publishUrl(hub: string, edge: string): URL {
  const base = new URL(hub);
  if (!base.pathname.endsWith(PUBLISH_PATH)) base.pathname = `${base.pathname.replace(/\/+$/, '')}${PUBLISH_PATH}`;
  base.searchParams.set('edge', edge);
  return base;
}

/** Frame rates the config states, announced to the hub (which sets its rate limit from them). */
export function nominalFps(cameras: readonly { id: string; spec: SourceSpec }[]): Map<string, number> {
  const fps = new Map<string, number>();
  for (const c of cameras) {
    const spec = c.spec;
    if (spec.kind === 'testsrc') fps.set(c.id, spec.fps);
    else if ((spec.kind === 'v4l2' || spec.kind === 'file') && spec.fps) fps.set(c.id, spec.fps);
  }
  return fps;
}

/** With several hubs, how soon the next is tried after one failed. */
const ANOTHER_HUB_DELAY_MS = 200;

function shownHub(hub: string): string {
  const url = new URL(hub);
  return `${url.origin}${url.pathname === '/' ? '' : url.pathname}`;
}

export class EdgePublisher {
  private readonly backoff: Backoff;
  private readonly channels = new Map<string, number>();
  /** Events still open, by the edge's event id (sent again at each connection). */
  private readonly openEvents = new Map<number, EventMessage>();
  private nextChannel = 1;
  private session: EdgeSession | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stateValue: EdgeState = 'waiting';
  private attempts = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** The hubs to try, in order (one, or a cluster's), and the one in use now. */
  private readonly hubs: string[];
  private hubIndex = 0;
  /** Failures in a row since a session last worked: past one round of the hubs, the backoff applies. */
  private failuresInRow = 0;

  constructor(
    private readonly registry: CameraRegistry,
    private readonly target: PublishTarget,
    private readonly log: Logger,
    private readonly options: EdgeOptions = {},
  ) {
    this.backoff = new Backoff(options.backoffInitialMs ?? 1000, options.backoffMaxMs ?? 30_000);
    this.hubs = target.hubs?.length ? target.hubs : [target.hub];
    for (const hub of this.hubs)
      if (/^ws:/i.test(hub))
        log.warn(
          { hub: shownHub(hub) },
          'publishing over ws:// sends the token and the video unencrypted; use wss:// across networks',
        );
  }

  /** The hub in use (or tried next), for logs: no user info or query, whatever the URL held. */
  private get hubShown(): string {
    return shownHub(this.hubs[this.hubIndex]!);
  }

  get state(): EdgeState {
    return this.stateValue;
  }

  start(): void {
    if (this.closed || this.session) return;
    this.connect();
  }

  /** Leaves the hub (1001) and stops reconnecting; resolves once the socket is closed. */
  close(): Promise<void> {
    this.closed = true;
    this.stateValue = 'closed';
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.closing ??= this.session ? this.session.end(RelayClose.GOING_AWAY, 'edge shutting down') : Promise.resolve();
    return this.closing;
  }

  /**
   * A motion event of one of this edge's cameras, for the hub: sent at once when connected; the
   * events still open are sent again at each connection (the hub may have missed their start).
   */
  event(message: EventMessage): void {
    if (message.camera.includes('.')) return; // relayed from elsewhere: not this edge's to tell
    if (message.change === 'end') this.openEvents.delete(message.id);
    else {
      this.openEvents.set(message.id, message);
      // Bounded: a camera has one open event at a time; the oldest beyond that are history.
      if (this.openEvents.size > MAX_OPEN_EVENTS) this.openEvents.delete(this.openEvents.keys().next().value!);
    }
    if (this.session?.ready) this.session.send(message);
  }

  /**
   * An event's snapshot (a JPEG of the camera near its peak), for the hub: sent at once when connected to
   * a hub that takes snapshots (its hello says so), else dropped; never queued for a later connection.
   */
  snapshot(camera: string, event: number, jpeg: Buffer, takenAt = Date.now()): boolean {
    if (camera.includes('.') || !this.session?.ready) return false;
    return this.session.sendSnapshot(camera, this.channelFor(camera), event, jpeg, takenAt);
  }

  /** Stable per camera for the life of the process, so a channel never changes meaning within a connection. */
  channelFor(camera: string): number {
    let channel = this.channels.get(camera);
    if (channel === undefined) {
      channel = this.nextChannel++;
      this.channels.set(camera, channel);
    }
    return channel;
  }

  /** What the edge publishes: the registry's own cameras (ids with a dot are relayed from elsewhere). */
  announced(): { cameras: AnnouncedCamera[]; streams: Map<string, CameraStream> } {
    const streams = new Map<string, CameraStream>();
    const cameras: AnnouncedCamera[] = [];
    for (const stream of this.registry.list()) {
      if (stream.id.includes('.')) continue;
      streams.set(stream.id, stream);
      const size = stream.size;
      cameras.push({
        id: stream.id,
        name: stream.name,
        width: size?.width ?? 0,
        height: size?.height ?? 0,
        fps: this.options.fps?.get(stream.id) ?? 0,
        channel: this.channelFor(stream.id),
      });
    }
    return { cameras, streams };
  }

  private connect(): void {
    this.reconnectTimer = undefined;
    this.stateValue = 'connecting';
    this.attempts++;
    const url = publishUrl(this.hubs[this.hubIndex]!, this.target.name);
    this.log.info({ hub: this.hubShown, edge: this.target.name, attempt: this.attempts }, 'connecting to hub');
    this.session = new EdgeSession(this, url, this.target, this.log, {
      window: this.options.window ?? DEFAULT_UPLINK_WINDOW,
      maxBufferedBytes: this.options.maxBufferedBytes ?? 1024 * 1024,
      ...(this.options.motion ? { buffers: this.options.motion } : {}),
    });
  }

  /** Called once per session when its socket is gone. */
  ended(session: EdgeSession, outcome: SessionOutcome): void {
    if (this.session !== session) return;
    this.session = undefined;
    if (this.closed) return;
    const { failure, established, code, reason } = outcome;
    // A session that worked resets the backoff, unless the hub refused it on policy (that would recur).
    if (established && code !== RelayClose.POLICY_VIOLATION && code !== RelayClose.MESSAGE_TOO_BIG) {
      this.backoff.reset();
      this.failuresInRow = 0;
    }
    // With several hubs (a cluster), the next one is tried at once, its cameras back within seconds; the
    // backoff applies once every hub has failed in a row.
    const failedHub = this.hubShown;
    this.failuresInRow++;
    let delay: number;
    if (this.hubs.length > 1 && this.failuresInRow < this.hubs.length) {
      delay = ANOTHER_HUB_DELAY_MS;
    } else {
      delay = this.backoff.next();
      this.failuresInRow = 0;
    }
    if (this.hubs.length > 1) this.hubIndex = (this.hubIndex + 1) % this.hubs.length;
    const fields = { hub: failedHub, retryInMs: delay, ...(this.hubs.length > 1 ? { next: this.hubShown } : {}) };
    if (established) {
      if (code === RelayClose.POLICY_VIOLATION && reason === 'replaced') {
        this.log.error(
          { ...fields, code, reason },
          `the hub replaced this connection with a newer one for edge "${this.target.name}": ` +
            'is another edge using the same name?',
        );
      } else {
        this.log.warn(
          {
            ...fields,
            code,
            reason,
            class: failure?.class ?? (code === RelayClose.POLICY_VIOLATION ? 'protocol' : 'closed'),
          },
          'disconnected from hub',
        );
      }
    } else {
      const f: Failure = failure ?? {
        class: code === RelayClose.POLICY_VIOLATION ? 'protocol' : 'other',
        reason: `closed ${code}${reason ? ` ${reason}` : ''} before the hub said hello`,
      };
      this.log.warn(
        { ...fields, class: f.class, reason: f.reason, ...(f.hint ? { hint: f.hint } : {}) },
        `cannot publish to hub (${f.class})`,
      );
    }
    this.stateValue = 'waiting';
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  established(): void {
    this.stateValue = 'connected';
    for (const message of this.openEvents.values()) this.session?.send(message);
  }
}
