/**
 * One edge's connection on the hub, after authentication: hello, announce,
 * frames in, acks and start/stop out. Enforces the publisher limits (frame
 * size, frame rate per camera, text message size and rate); a peer that
 * breaks them is closed (1008/1009) and logged, and nothing it sends can
 * throw out of here or touch another edge's cameras.
 */
import type { Logger } from 'pino';
import { WebSocket, type RawData } from 'ws';
import { preciseNow } from '../hub/consumer.js';
import { FLOOD_BURST, FLOOD_PER_SECOND } from '../wire/constants.js';
import { Keepalive } from '../wire/keepalive.js';
import { TokenBucket } from '../wire/token-bucket.js';
import { EdgeClock } from './clock.js';
import type { PublisherConfig } from './config.js';
import type { PublishedCamera } from './published-cameras.js';
import {
  RELAY_CODEC_AUDIO,
  type RelayAudioCodec,
  HELLO_TIMEOUT_MS,
  MAX_TEXT_BYTES,
  rateLimitFps,
  RELAY_PROTOCOL,
  RelayClose,
  type RelayCodec,
  type RelayEventFeature,
  MAX_BUFFER_LEAD_MS,
  RELAY_CODEC_SNAPSHOT,
} from './protocol.js';
import {
  type AudioMessage,
  parseEdgeMessage,
  type AnnouncedCamera,
  type ConfigMessage,
  type EventMessage,
  type HubMessage,
} from './messages.js';
import { decodeRelayAudioFrame, decodeRelayFrame, frameCodec, decodeRelaySnapshot } from './frames.js';
import { CameraLink, type LinkSession } from './camera-link.js';
import { agreeToHello } from './hub-hello.js';
import {
  applyAudioConfig,
  applyConfig,
  checkAudioFrame,
  checkSnapshot,
  checkVideoFrame,
  type LinkVerdict,
  type PictureRefusal,
} from './link-checks.js';

/** A misbehaving edge's close is logged at most once a minute per edge (it may reconnect and do it again). */
const CHURN_LOG_MS = 60_000;
const churnLoggedAt = new Map<string, number>();

export type { PictureRefusal } from './link-checks.js';

/** What a session tells the hub about its edge (Publishers): the session knows nothing else of the hub. */
export interface SessionOwner {
  /** The edge said hello: this connection is now the edge's. */
  attach(session: PublisherSession): void;
  /** The camera for an announce, created on its first one. */
  publish(session: PublisherSession, announced: AnnouncedCamera): PublishedCamera;
  /** The connection announced `ids` (within its cap). */
  announced(session: PublisherSession, ids: ReadonlySet<string>): void;
  /** The edge withdrew the camera (its link is already unbound). */
  withdrawn(camera: PublishedCamera): void;
  /** The connection ended. */
  detach(session: PublisherSession, reason: string): void;
  /** A motion event on one of the edge's cameras, its times mapped to this hub's clock. */
  event(camera: PublishedCamera, message: EventMessage): void;
  /** A snapshot of one of its events (`event`: the edge's id), a JPEG checked here. */
  snapshot(camera: PublishedCamera, event: number, jpeg: Buffer): void;
}

/**
 * The pre-roll a hub recording an edge's cameras around events asks the edge to keep (`buffer`); the
 * recording asks for as much before an event (src/recording's default pre-roll).
 */
export const EVENT_PRE_ROLL_MS = 5000;
/** How often the clock is pinged while no camera runs, on an edge that keeps a pre-roll (its frames need it). */
const IDLE_PING_MS = 30_000;

function messageBytes(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data.byteLength;
}

function asBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

let nextSessionId = 0;

export class PublisherSession implements LinkSession {
  readonly id = ++nextSessionId;
  readonly connectedAt = Date.now();
  bytesReceived = 0;
  framesReceived = 0;

  private state: 'hello' | 'ready' | 'closed' = 'hello';
  /** By channel, for frames. */
  private readonly channels = new Map<number, CameraLink>();
  /** By the edge's camera id, for acks, withdraw and status. */
  private readonly links = new Map<string, CameraLink>();
  private readonly flood = new TokenBucket(FLOOD_BURST, FLOOD_PER_SECOND);
  private readonly helloTimer: NodeJS.Timeout;
  private readonly keepalive: Keepalive;
  /** What this connection may send: negotiated in the hellos (JPEG only for an edge that lists no codecs). */
  codecs: RelayCodec[] = ['jpeg'];
  /** The audio codecs this connection may send (with H.264 only): none for an edge that offered none. */
  audio: RelayAudioCodec[] = [];
  /** The event features in use on this connection (pre-roll with H.264 only): none with an older edge. */
  events: RelayEventFeature[] = [];
  /** Cameras the edge was asked to buffer: its clock is pinged even while none runs. */
  private buffering = false;
  /** The edge's clock, from pings: maps its capture times to this hub's clock. */
  readonly clock = new EdgeClock();
  private pingTimer: NodeJS.Timeout | undefined;
  private pings = 0;
  /** Set when this connection was closed for its pictures. */
  refused: PictureRefusal | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly owner: SessionOwner,
    readonly publisher: PublisherConfig,
    readonly remoteAddress: string,
    private readonly log: Logger,
  ) {
    this.helloTimer = setTimeout(
      () => this.reject(RelayClose.POLICY_VIOLATION, `no hello within ${HELLO_TIMEOUT_MS / 1000}s`),
      HELLO_TIMEOUT_MS,
    );
    this.keepalive = new Keepalive(socket, () => this.log.warn('edge did not answer a ping; dropping the connection'));

    socket.on('message', (data, isBinary) => {
      this.keepalive.heard();
      this.bytesReceived += messageBytes(data);
      if (this.state === 'closed' || socket.readyState !== WebSocket.OPEN) return;
      try {
        if (isBinary) this.onFrame(asBuffer(data));
        else this.onText(data);
      } catch (err) {
        this.log.error({ err }, 'publisher message handler failed');
        this.reject(RelayClose.INTERNAL_ERROR, 'internal error');
      }
    });
    // Oversized messages (over the server-wide maxPayload) and bad UTF-8 are closed by ws itself.
    socket.on('error', (err) => this.log.warn({ err: err.message }, 'publisher connection error'));
    socket.on('close', (code, reason) =>
      this.detach(`edge disconnected (${code}${reason.length ? ` ${reason.toString()}` : ''})`),
    );
  }

  get edge(): string {
    return this.publisher.name;
  }

  send(message: HubMessage): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  /** Closes the connection; its cameras go offline at once, not when the close handshake ends. */
  close(code: number, reason: string): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING)
      this.socket.close(code, reason);
    this.detach(reason);
  }

  // ---- from the edge ----

  private onText(data: RawData): void {
    if (messageBytes(data) > MAX_TEXT_BYTES)
      return this.reject(RelayClose.MESSAGE_TOO_BIG, `text message over ${MAX_TEXT_BYTES} bytes`);
    if (!this.flood.take()) return this.reject(RelayClose.POLICY_VIOLATION, 'too many messages');
    const parsed = parseEdgeMessage(asBuffer(data).toString());
    if (!parsed.ok) return this.reject(RelayClose.POLICY_VIOLATION, parsed.reason);
    const message = parsed.message;
    if (this.state === 'hello') {
      if (message.type !== 'hello') return this.reject(RelayClose.POLICY_VIOLATION, `"${message.type}" before hello`);
      clearTimeout(this.helloTimer);
      const agreed = agreeToHello(message, this.publisher.maxFrameBytes);
      this.codecs = agreed.codecs;
      this.audio = agreed.audio;
      this.events = agreed.events;
      this.send(agreed.answer);
      if (message.protocol !== RELAY_PROTOCOL)
        return this.reject(
          RelayClose.POLICY_VIOLATION,
          `publisher protocol ${message.protocol} is not supported; this hub speaks ${RELAY_PROTOCOL}`,
        );
      if (message.role !== 'edge')
        return this.reject(RelayClose.POLICY_VIOLATION, `role "${message.role}" cannot publish`);
      if (message.edge !== this.edge)
        return this.reject(
          RelayClose.POLICY_VIOLATION,
          `this token publishes as "${this.edge}", not "${message.edge}"`,
        );
      this.state = 'ready';
      this.owner.attach(this);
      return;
    }
    switch (message.type) {
      case 'hello':
        return this.reject(RelayClose.POLICY_VIOLATION, 'second hello');
      case 'announce':
        return this.announce(message.cameras);
      case 'withdraw': {
        const link = this.links.get(message.camera);
        if (!link) return; // harmless: already gone
        this.unlink(link, 'withdrawn by the edge');
        this.owner.withdrawn(link.camera);
        return;
      }
      case 'config':
        return this.configure(message);
      case 'audio':
        return this.configureAudio(message);
      case 'pong':
        this.clock.sample(message.t, message.edge, preciseNow());
        return;
      case 'status': {
        const link = this.links.get(message.camera);
        if (link && !message.online) link.camera.source.edgeOffline(link, message.reason ?? 'offline');
        return;
      }
      case 'event': {
        const link = this.links.get(message.camera);
        if (!link) return; // a camera not announced (any more)
        // The edge's times on this hub's clock, when the pings have measured it (else the edge's, as they are).
        const offset = this.clock.offsetMs ?? 0;
        this.owner.event(link.camera, {
          ...message,
          start: message.start - offset,
          end: message.end === null ? null : message.end - offset,
        });
        return;
      }
      default:
        return; // unknown types: newer edges may send more
    }
  }

  private announce(cameras: AnnouncedCamera[]): void {
    const max = this.publisher.maxCameras;
    if (cameras.length > max) {
      // Refused whole, before anything changes (a close reason holds at most 123 bytes).
      const reason = `announce of ${cameras.length} cameras, over this edge's limit of ${max}`;
      return this.reject(RelayClose.POLICY_VIOLATION, reason);
    }
    const announced = new Set(cameras.map((c) => c.id));
    this.owner.announced(this, announced);
    // A camera missing from a new announce is withdrawn.
    for (const link of [...this.links.values()]) {
      if (!announced.has(link.edgeCamera)) {
        this.unlink(link, 'no longer announced by the edge');
        this.owner.withdrawn(link.camera);
      }
    }
    this.channels.clear();
    const fresh: CameraLink[] = [];
    for (const c of cameras) {
      const rate = rateLimitFps(c.fps);
      let link = this.links.get(c.id);
      if (link) {
        // Re-announced on this connection: keep the binding (the camera may be running), take the new numbers.
        link.channel = c.channel;
        link.limit(rate);
      } else {
        const camera = this.owner.publish(this, c);
        link = new CameraLink(this, camera, c.id, c.channel, rate);
        this.links.set(c.id, link);
        camera.source.bind(link);
        fresh.push(link);
      }
      this.channels.set(c.channel, link);
    }
    this.log.info({ cameras: cameras.map((c) => c.id) }, 'edge announced its cameras');
    // Recorded around events: the edge keeps a pre-roll of each, sent ahead of its video when an event starts.
    if (this.preRoll && this.publisher.record?.mode === 'events') {
      for (const link of fresh) this.send({ type: 'buffer', camera: link.edgeCamera, ms: EVENT_PRE_ROLL_MS });
      if (fresh.length) {
        this.buffering = true;
        this.demanded();
      }
    }
    // Viewers were waiting (the edge was away): restart now instead of at the next backoff step.
    for (const link of fresh) link.camera.stream.retryNow();
  }

  /** A camera was started: its frames' times need the edge's clock, so the pings run (if not already). */
  demanded(): void {
    if (this.pingTimer === undefined) this.ping();
  }

  /** LinkSession: the edge keeps a pre-roll for this hub's events. */
  get preRoll(): boolean {
    return this.events.includes('pre-roll');
  }

  /** LinkSession: a hub time on the edge's clock. */
  toEdge(hubTime: number): number {
    return this.clock.toEdge(hubTime);
  }

  /**
   * Pings the edge for its clock while some camera is started (an unwatched edge's uplink stays silent):
   * every 2 s for the first few, then every 10 s. Older edges ignore pings.
   */
  private ping(): void {
    this.pingTimer = undefined;
    if (this.state !== 'ready') return;
    const running = [...this.links.values()].some((l) => l.started);
    // An edge that keeps a pre-roll is pinged while idle too, slowly: its buffered frames need the offset at once.
    if (!running && !this.buffering) return;
    this.send({ type: 'ping', t: preciseNow() });
    this.pings++;
    this.pingTimer = setTimeout(() => this.ping(), this.pings < 5 ? 2000 : running ? 10_000 : IDLE_PING_MS);
    this.pingTimer.unref();
  }

  private configure(message: ConfigMessage): void {
    if (!this.codecs.includes('h264'))
      return this.reject(RelayClose.POLICY_VIOLATION, 'config, but H.264 was not negotiated in the hellos');
    const link = this.links.get(message.camera);
    if (!link) return this.reject(RelayClose.POLICY_VIOLATION, `config for "${message.camera}", never announced`);
    this.turnedAway(applyConfig(message, link, this));
  }

  private configureAudio(message: AudioMessage): void {
    if (!this.audio.includes(message.codec))
      return this.reject(RelayClose.POLICY_VIOLATION, `audio config, but ${message.codec} audio was not negotiated`);
    const link = this.links.get(message.camera);
    if (!link) return this.reject(RelayClose.POLICY_VIOLATION, `audio config for "${message.camera}", never announced`);
    this.turnedAway(applyAudioConfig(message, link));
  }

  /** An audio frame (link-checks.ts says what it must be). Not acked. */
  private onAudioFrame(message: Buffer): void {
    const decoded = decodeRelayAudioFrame(message);
    if (!decoded.ok) return this.reject(RelayClose.POLICY_VIOLATION, `bad audio frame: ${decoded.reason}`);
    const frame = decoded.message;
    if (this.audio.length === 0)
      return this.reject(RelayClose.POLICY_VIOLATION, 'audio frame, but audio was not negotiated in the hellos');
    const link = this.linkOf(frame.channel, 'frame');
    if (!link || this.turnedAway(checkAudioFrame(frame, link))) return;
    link.camera.source.deliverAudio(link, link.camera.audio!.config, frame.data, frame.samples, frame.pts);
  }

  /** An event's snapshot from the edge (link-checks.ts says what it must be). Not acked. */
  private onSnapshot(message: Buffer): void {
    if (!this.events.includes('snapshot'))
      return this.reject(RelayClose.POLICY_VIOLATION, 'snapshot, but snapshots were not negotiated in the hellos');
    const decoded = decodeRelaySnapshot(message);
    if (!decoded.ok) return this.reject(RelayClose.POLICY_VIOLATION, `bad snapshot: ${decoded.reason}`);
    const frame = decoded.message;
    const link = this.linkOf(frame.channel, 'snapshot');
    if (!link || this.turnedAway(checkSnapshot(frame, link, this))) return;
    this.owner.snapshot(link.camera, frame.event, frame.jpeg);
  }

  /** The link of an announced channel, or the connection closed. */
  private linkOf(channel: number, what: string): CameraLink | undefined {
    const link = this.channels.get(channel);
    if (!link) this.reject(RelayClose.POLICY_VIOLATION, `${what} for channel ${channel}, never announced`);
    return link;
  }

  /** Acts on a verdict of link-checks.ts: true when what the edge sent is not taken (the connection is closing). */
  private turnedAway(verdict: LinkVerdict): boolean {
    if (!verdict) return false;
    if ('refuse' in verdict) this.refuse(verdict.refuse, verdict.reason);
    else this.reject(verdict.close, verdict.reason);
    return true;
  }

  private onFrame(message: Buffer): void {
    if (this.state !== 'ready') return this.reject(RelayClose.POLICY_VIOLATION, 'frame before hello');
    if (frameCodec(message) === RELAY_CODEC_AUDIO) return this.onAudioFrame(message);
    if (frameCodec(message) === RELAY_CODEC_SNAPSHOT) return this.onSnapshot(message);
    const decoded = decodeRelayFrame(message);
    if (!decoded.ok) return this.reject(RelayClose.POLICY_VIOLATION, `bad frame: ${decoded.reason}`);
    const frame = decoded.message;
    const link = this.linkOf(frame.channel, 'frame');
    if (!link || this.turnedAway(checkVideoFrame(frame, link, this))) return;
    if (link.replay && !frame.buffered) link.replay.live = true;
    this.framesReceived++;
    const now = preciseNow();
    link.camera.uplink.count(frame.codec, message.length, now);
    // Acked on receipt, before the fan-out: the edge paces to the uplink, not to the hub's viewers.
    this.send({ type: 'ack', camera: link.edgeCamera, seq: frame.seq });
    // The edge's capture time on this clock: the viewers' latency includes the uplink. A buffered frame keeps
    // its time from before the event (the recording places it by it), bounded by what was asked.
    const replay = link.replay;
    const capturedAt =
      frame.buffered && replay
        ? this.clock.bufferedToHub(frame.capturedAt, now, replay.fromHub - MAX_BUFFER_LEAD_MS)
        : this.clock.toHub(frame.capturedAt, now);
    if (frame.codec === 'h264')
      link.camera.source.deliverH264(
        link,
        link.camera.h264Config!,
        frame.keyframe,
        frame.data,
        capturedAt,
        frame.times,
      );
    else link.camera.source.deliver(link, frame.data, capturedAt);
  }

  // ---- ending ----

  private unlink(link: CameraLink, reason: string): void {
    this.links.delete(link.edgeCamera);
    if (this.channels.get(link.channel) === link) this.channels.delete(link.channel);
    link.camera.source.unbind(link, reason);
  }

  private reject(code: number, reason: string, logged = true): void {
    if (this.state === 'closed') return;
    if (logged) this.log.warn({ code, reason }, 'closing publisher connection');
    this.close(code, reason);
  }

  /**
   * Closes (1008) an edge whose pictures the hub will not take: too big, or a configuration that keeps
   * changing (the edge misbehaving: logged at most once a minute per edge, since it may reconnect and
   * do it again; each close counted).
   */
  private refuse(why: PictureRefusal, reason: string): void {
    if (this.state === 'closed') return;
    this.refused = why;
    let logged = true;
    if (why === 'config-churn') {
      const now = Date.now();
      logged = now - (churnLoggedAt.get(this.edge) ?? -Infinity) >= CHURN_LOG_MS;
      if (logged) {
        if (churnLoggedAt.size >= 1024) churnLoggedAt.clear(); // bounded: edges are configured, but still
        churnLoggedAt.set(this.edge, now);
        this.log.warn({ edge: this.edge, reason }, 'edge misbehaving: its camera configuration keeps changing');
      }
    }
    this.reject(RelayClose.POLICY_VIOLATION, reason, logged);
  }

  private detach(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.helloTimer);
    clearTimeout(this.pingTimer);
    this.keepalive.stop();
    for (const link of [...this.links.values()]) this.unlink(link, reason);
    this.owner.detach(this, reason);
  }
}
