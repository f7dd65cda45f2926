/**
 * The edge: publishes this machine's cameras to a hub over one outbound
 * WebSocket (so it works from behind NAT), reconnecting with backoff forever.
 *
 * The hub says which cameras it wants (start/stop, driven by its viewers);
 * the edge subscribes to those cameras like any local consumer, so an
 * unwatched camera is neither captured for the hub nor sent. Per camera, at
 * most `window` frames are unacknowledged; a frame that cannot go yet waits as
 * the one pending frame and a newer one replaces it (latest wins), so a slow
 * uplink lowers the frame rate instead of growing the delay.
 */
import { rootCertificates } from 'node:tls';
import type { Logger } from 'pino';
import { WebSocket, type RawData } from 'ws';
import { Backoff } from '../hub/backoff.js';
import type { CameraStream } from '../hub/camera-stream.js';
import type { CameraStatus, Consumer, Frame } from '../hub/frame.js';
import type { CameraRegistry } from '../hub/registry.js';
import { KEEPALIVE_MS } from '../outputs/ws/constants.js';
import { seqDiff } from '../outputs/ws/header.js';
import type { CameraConfig } from '../config/schema.js';
import type { PublishTarget } from './config.js';
import { classifyError, classifyStatus, type Failure } from './failure.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_UPLINK_WINDOW,
  encodeRelayFrame,
  HELLO_TIMEOUT_MS,
  MAX_TEXT_BYTES,
  parseHubMessage,
  PUBLISH_PATH,
  rateLimitFps,
  RELAY_PROTOCOL,
  RelayClose,
  type AnnouncedCamera,
  type EdgeMessage,
} from './protocol.js';

export interface EdgeOptions {
  /** Nominal frames per second per camera id, where the config says (announced; 0 = unknown). */
  fps?: ReadonlyMap<string, number>;
  /** Unacknowledged frames per camera. */
  window?: number;
  /** No new frame is handed to ws while more than this waits in user space. */
  maxBufferedBytes?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
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
export function nominalFps(cameras: CameraConfig[]): Map<string, number> {
  const fps = new Map<string, number>();
  for (const c of cameras) {
    const spec = c.spec;
    if (spec.kind === 'testsrc') fps.set(c.id, spec.fps);
    else if ((spec.kind === 'v4l2' || spec.kind === 'file') && spec.fps) fps.set(c.id, spec.fps);
  }
  return fps;
}

export class EdgePublisher {
  private readonly backoff: Backoff;
  private readonly channels = new Map<string, number>();
  private nextChannel = 1;
  private session: EdgeSession | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stateValue: EdgeState = 'waiting';
  private attempts = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** The hub for logs: no user info or query, whatever the URL held. */
  private readonly hubShown: string;

  constructor(
    private readonly registry: CameraRegistry,
    private readonly target: PublishTarget,
    private readonly log: Logger,
    private readonly options: EdgeOptions = {},
  ) {
    this.backoff = new Backoff(options.backoffInitialMs ?? 1000, options.backoffMaxMs ?? 30_000);
    const url = new URL(target.hub);
    this.hubShown = `${url.origin}${url.pathname === '/' ? '' : url.pathname}`;
    if (/^ws:/i.test(target.hub))
      log.warn(
        { hub: this.hubShown },
        'publishing over ws:// sends the token and the video unencrypted; use wss:// across networks',
      );
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
    const url = publishUrl(this.target.hub, this.target.name);
    this.log.info({ hub: this.hubShown, edge: this.target.name, attempt: this.attempts }, 'connecting to hub');
    this.session = new EdgeSession(this, url, this.target, this.log, {
      window: this.options.window ?? DEFAULT_UPLINK_WINDOW,
      maxBufferedBytes: this.options.maxBufferedBytes ?? 1024 * 1024,
    });
  }

  /** Called once per session when its socket is gone. */
  ended(session: EdgeSession, outcome: SessionOutcome): void {
    if (this.session !== session) return;
    this.session = undefined;
    if (this.closed) return;
    const { failure, established, code, reason } = outcome;
    // A session that worked resets the backoff, unless the hub refused it on policy (that would recur).
    if (established && code !== RelayClose.POLICY_VIOLATION && code !== RelayClose.MESSAGE_TOO_BIG)
      this.backoff.reset();
    const delay = this.backoff.next();
    const fields = { hub: this.hubShown, retryInMs: delay };
    if (established) {
      if (code === RelayClose.POLICY_VIOLATION && reason === 'replaced') {
        this.log.error(
          { ...fields, code, reason },
          `the hub replaced this connection with a newer one for edge "${this.target.name}": is another edge using the same name?`,
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
  }
}

interface SessionOutcome {
  established: boolean;
  failure: Failure | undefined;
  code: number;
  reason: string;
}

interface SessionOptions {
  window: number;
  maxBufferedBytes: number;
}

/** One connection attempt and, if it works, the session over it. */
class EdgeSession {
  private readonly ws: WebSocket;
  private readonly uplinks = new Map<string, Uplink>();
  private streams = new Map<string, CameraStream>();
  private fps = new Map<string, number>();
  private failure: Failure | undefined;
  private isEstablished = false;
  private helloTimer: NodeJS.Timeout | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private alive = true;
  private done = false;
  private closedPromise: Promise<void>;
  maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  /** Rotates the order in which cameras get a chance to send. */
  private turn = 0;

  /** One callback for every frame send, made once: no closure per frame. */
  readonly afterWrite = (): void => this.flush();

  constructor(
    private readonly publisher: EdgePublisher,
    url: URL,
    target: PublishTarget,
    private readonly log: Logger,
    private readonly options: SessionOptions,
  ) {
    const host = url.host;
    this.ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${target.token}` },
      // The hub's certificate is verified; --ca adds a CA to the system's, it does not replace them.
      ...(target.ca ? { ca: [...rootCertificates, target.ca.toString('utf8')] } : {}),
      handshakeTimeout: HELLO_TIMEOUT_MS,
      maxPayload: MAX_TEXT_BYTES,
      perMessageDeflate: false, // JPEG does not compress; deflate would only cost CPU
    });
    this.closedPromise = new Promise((resolve) => this.ws.once('close', () => resolve()));
    this.ws.on('unexpected-response', (_req, res) => {
      // Read the hub's JSON error (bounded) so the log says why, then drop the attempt.
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 4096) body += chunk;
      });
      const finish = (): void => {
        this.failure ??= classifyStatus(res.statusCode ?? 0, errorMessage(body));
        this.ws.terminate();
      };
      res.once('end', finish);
      res.once('error', finish);
    });
    this.ws.on('error', (err) => {
      this.failure ??= classifyError(err, host);
    });
    this.ws.on('open', () => this.onOpen(target.name));
    this.ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    this.ws.on('pong', () => {
      this.alive = true;
    });
    this.ws.on('close', (code, reason) => this.onClose(code, reason.toString()));
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(message: EdgeMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  sendFrame(message: Buffer): void {
    this.ws.send(message, this.afterWrite);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Gives every camera a chance to send its pending frame, starting with a different one each time. */
  flush(): void {
    const list = [...this.uplinks.values()];
    if (list.length === 0) return;
    this.turn = (this.turn + 1) % list.length;
    for (let i = 0; i < list.length; i++) list[(this.turn + i) % list.length]!.trySend();
  }

  end(code: number, reason: string): Promise<void> {
    this.dispose();
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    // A hub that does not answer the close frame is not waited for long.
    const force = setTimeout(() => this.ws.terminate(), 2000);
    return this.closedPromise.finally(() => clearTimeout(force));
  }

  private onOpen(edge: string): void {
    this.send({ type: 'hello', protocol: RELAY_PROTOCOL, role: 'edge', edge });
    this.helloTimer = setTimeout(() => {
      this.failure ??= {
        class: 'protocol',
        reason: `no hello from the hub within ${HELLO_TIMEOUT_MS / 1000}s`,
        hint: 'is this URL a camrelay hub?',
      };
      this.ws.terminate();
    }, HELLO_TIMEOUT_MS);
    // Pings find a hub that vanished without closing TCP (a NAT mapping dropped, a hub host powered off).
    this.keepalive = setInterval(() => {
      if (!this.alive) {
        this.failure ??= { class: 'unreachable', reason: 'the hub did not answer a ping' };
        this.ws.terminate();
        return;
      }
      this.alive = false;
      this.ws.ping();
    }, KEEPALIVE_MS);
    this.keepalive.unref();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.alive = true;
    if (this.done) return;
    if (isBinary) return this.protocolError('the hub sent a binary message');
    const parsed = parseHubMessage(
      Buffer.isBuffer(data)
        ? data.toString()
        : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString(),
    );
    if (!parsed.ok) return this.protocolError(`bad message from the hub: ${parsed.reason}`);
    const message = parsed.message;
    switch (message.type) {
      case 'hello': {
        if (this.isEstablished) return;
        clearTimeout(this.helloTimer);
        if (message.protocol !== RELAY_PROTOCOL) {
          this.failure = {
            class: 'protocol',
            reason: `the hub speaks publisher protocol ${message.protocol}, this edge ${RELAY_PROTOCOL}`,
            hint: 'upgrade camrelay on the edge or the hub',
          };
          this.ws.close(RelayClose.POLICY_VIOLATION, 'unsupported protocol');
          return;
        }
        if (message.maxFrameBytes) this.maxFrameBytes = message.maxFrameBytes;
        const { cameras, streams } = this.publisher.announced();
        this.streams = streams;
        this.fps = new Map(cameras.map((c) => [c.id, c.fps]));
        this.send({ type: 'announce', cameras });
        this.isEstablished = true;
        this.publisher.established();
        this.log.info({ cameras: cameras.map((c) => c.id) }, 'connected to hub; cameras announced');
        return;
      }
      case 'start': {
        const stream = this.streams.get(message.camera);
        if (!stream) return; // not ours (any more): nothing to start
        let uplink = this.uplinks.get(message.camera);
        if (!uplink) {
          const fps = this.fps.get(message.camera) ?? 0;
          uplink = new Uplink(
            this,
            stream,
            this.publisher.channelFor(message.camera),
            this.options.window,
            this.options.maxBufferedBytes,
            this.log,
            fps,
          );
          this.uplinks.set(message.camera, uplink);
        }
        this.log.info({ camera: message.camera }, 'hub started the camera');
        uplink.start();
        return;
      }
      case 'stop': {
        const uplink = this.uplinks.get(message.camera);
        if (!uplink) return;
        this.log.info({ camera: message.camera }, 'hub stopped the camera');
        uplink.stop();
        return;
      }
      case 'ack':
        this.uplinks.get(message.camera)?.ack(message.seq);
        return;
      default:
        return; // newer hubs may send more
    }
  }

  private protocolError(reason: string): void {
    this.failure ??= { class: 'protocol', reason };
    this.ws.close(RelayClose.POLICY_VIOLATION, reason.slice(0, 120));
  }

  private onClose(code: number, reason: string): void {
    this.dispose();
    this.publisher.ended(this, { established: this.isEstablished, failure: this.failure, code, reason });
  }

  private dispose(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.helloTimer);
    clearInterval(this.keepalive);
    for (const uplink of this.uplinks.values()) uplink.stop();
    this.uplinks.clear();
  }
}

function errorMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return body.trim().slice(0, 200) || undefined;
  }
}

/** One camera on the uplink while the hub wants it: a consumer of the local stream. */
class Uplink implements Consumer {
  private unsubscribe: (() => void) | undefined;
  private pending: Frame | undefined;
  /** Wire seqs of unacknowledged frames, oldest first (at most `window`). */
  private readonly unacked: number[] = [];
  /** Pacing below the hub's rate limit (see rateLimitFps): the earliest time of the next send. */
  private readonly minIntervalMs: number;
  private nextAt = 0;
  private paceTimer: NodeJS.Timeout | undefined;
  private warnedTooBig = false;

  constructor(
    private readonly session: EdgeSession,
    private readonly stream: CameraStream,
    private readonly channel: number,
    private readonly window: number,
    private readonly maxBufferedBytes: number,
    private readonly log: Logger,
    fps: number,
  ) {
    // 90% of the hub's limit: with at most `window` frames in flight, arrivals cannot bunch past it.
    this.minIntervalMs = 1000 / (0.9 * rateLimitFps(fps));
  }

  start(): void {
    if (this.unsubscribe) return;
    try {
      this.unsubscribe = this.stream.subscribe(this);
    } catch (err) {
      this.log.warn({ camera: this.stream.id, err: (err as Error).message }, 'cannot start the camera for the hub');
      return;
    }
    if (this.stream.state === 'offline') this.onStatus(this.stream.status);
    const current = this.stream.current;
    if (current && !current.placeholder) this.onFrame(current); // a picture at once, not at the next frame
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.pending = undefined;
    this.unacked.length = 0;
    clearTimeout(this.paceTimer);
    this.paceTimer = undefined;
  }

  onFrame(frame: Frame): void {
    // NO SIGNAL pictures are the hub's to make: it knows the camera is offline from the status.
    if (frame.placeholder || !this.unsubscribe) return;
    this.pending = frame;
    this.trySend();
  }

  onStatus(status: CameraStatus): void {
    if (!status.online)
      this.session.send({
        type: 'status',
        camera: this.stream.id,
        online: false,
        ...(status.reason ? { reason: status.reason } : {}),
      });
  }

  ack(seq: number): void {
    let freed = false;
    while (this.unacked.length > 0 && seqDiff(this.unacked[0]!, seq) <= 0) {
      this.unacked.shift();
      freed = true;
    }
    if (freed) this.trySend();
  }

  trySend(): void {
    const frame = this.pending;
    if (!frame || !this.session.open) return;
    if (this.unacked.length >= this.window || this.session.bufferedAmount >= this.maxBufferedBytes) return; // an ack or a write completion calls again
    const now = performance.now();
    if (now < this.nextAt) {
      this.paceTimer ??= setTimeout(() => {
        this.paceTimer = undefined;
        this.trySend();
      }, this.nextAt - now);
      return;
    }
    this.pending = undefined;
    if (frame.data.length > this.session.maxFrameBytes) {
      if (!this.warnedTooBig)
        this.log.warn(
          { camera: this.stream.id, bytes: frame.data.length, limit: this.session.maxFrameBytes },
          "frame over the hub's size limit: not sent",
        );
      this.warnedTooBig = true;
      return;
    }
    const seq = frame.seq >>> 0;
    this.unacked.push(seq);
    this.nextAt = now + this.minIntervalMs;
    this.session.sendFrame(encodeRelayFrame(this.channel, seq, frame.capturedAt, frame.data));
  }
}
