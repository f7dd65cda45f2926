/**
 * One connection attempt of the edge to the hub and, if it works, the session
 * over it: hello, announce, start/stop/ack from the hub, one Uplink per camera
 * the hub wants, and why the attempt failed (failure.ts) for the publisher's log.
 */
import { rootCertificates } from 'node:tls';
import type { Logger } from 'pino';
import { WebSocket, type RawData } from 'ws';
import type { CameraStream } from '../hub/camera-stream.js';
import { preciseNow } from '../hub/consumer.js';
import { Keepalive } from '../wire/keepalive.js';
import type { PublishTarget } from './config.js';
import { classifyError, classifyStatus, type Failure } from './failure.js';
import {
  DEFAULT_H264_UPLINK_WINDOW,
  DEFAULT_MAX_FRAME_BYTES,
  HELLO_TIMEOUT_MS,
  MAX_TEXT_BYTES,
  RELAY_PROTOCOL,
  RelayClose,
  type RelayAudioCodec,
  type RelayCodec,
  RELAY_AUDIO_CODECS,
  RELAY_EVENT_FEATURES,
  MAX_SNAPSHOT_BYTES,
  type RelayEventFeature,
} from './protocol.js';
import { parseHubMessage, type AnnouncedCamera, type EdgeMessage } from './messages.js';
import { encodeRelaySnapshot } from './frames.js';
import { EdgeBuffer } from './edge-buffer.js';
import { Uplink, type UplinkSession } from './uplink.js';

/** What a session needs of the EdgePublisher that opened it. */
export interface SessionOwner {
  /** The cameras to announce, and their local streams. */
  announced(): { cameras: AnnouncedCamera[]; streams: Map<string, CameraStream> };
  channelFor(camera: string): number;
  /** The hub said hello. */
  established(): void;
  /** Once, when the socket is gone. */
  ended(session: EdgeSession, outcome: SessionOutcome): void;
}

export interface SessionOutcome {
  established: boolean;
  failure: Failure | undefined;
  code: number;
  reason: string;
}

export interface SessionOptions {
  window: number;
  /** Unacknowledged H.264 access units per camera. */
  h264Window?: number;
  maxBufferedBytes: number;
  /** The cameras a hub may ask this edge to buffer (those with motion here) and their min_duration (ms); unset: any. */
  buffers?: ReadonlyMap<string, number>;
}

/** One connection attempt and, if it works, the session over it. */
export class EdgeSession implements UplinkSession {
  private readonly ws: WebSocket;
  private readonly uplinks = new Map<string, Uplink>();
  private streams = new Map<string, CameraStream>();
  private fps = new Map<string, number>();
  private failure: Failure | undefined;
  private isEstablished = false;
  private helloTimer: NodeJS.Timeout | undefined;
  private keepalive: Keepalive | undefined;
  private done = false;
  private closedPromise: Promise<void>;
  maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  /** What the uplink carries in this session: H.264 when this edge offered it and the hub's hello accepts it. */
  codec: RelayCodec = 'jpeg';
  /** The audio codecs the hub's hello accepts (with H.264 only; none from an older hub). */
  audio: readonly RelayAudioCodec[] = [];
  /** The event features the hub's hello accepts (pre-roll, snapshots; none from an older hub). */
  events: readonly RelayEventFeature[] = [];
  /** The cameras the hub asked this edge to buffer (`buffer`), for its events' pre-roll. */
  private readonly buffers = new Map<string, EdgeBuffer>();
  /** Rotates the order in which cameras get a chance to send. */
  private turn = 0;

  /** One callback for every frame send, made once: no closure per frame. */
  readonly afterWrite = (): void => this.flush();

  constructor(
    private readonly publisher: SessionOwner,
    url: URL,
    private readonly target: PublishTarget,
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
    this.ws.on('open', () => this.onOpen(target));
    this.ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    this.ws.on('close', (code, reason) => this.onClose(code, reason.toString()));
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** The hub answered hello: messages other than hello may go. */
  get ready(): boolean {
    return this.isEstablished;
  }

  send(message: EdgeMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  sendFrame(message: Buffer): void {
    this.ws.send(message, this.afterWrite);
  }

  /**
   * An event's JPEG for the hub, when its hello accepts snapshots; false when it does not go (an older
   * hub, over the size limit, the socket backed up: a snapshot is worth less than the live video).
   */
  sendSnapshot(camera: string, channel: number, event: number, jpeg: Buffer, takenAt: number): boolean {
    if (!this.isEstablished || !this.events.includes('snapshot') || !this.open) return false;
    if (!this.streams.has(camera)) return false;
    if (jpeg.length > MAX_SNAPSHOT_BYTES) {
      this.log.warn(
        { camera, bytes: jpeg.length, limit: MAX_SNAPSHOT_BYTES },
        "snapshot over the hub's limit: not sent",
      );
      return false;
    }
    if (this.ws.bufferedAmount > this.options.maxBufferedBytes) return false;
    this.ws.send(encodeRelaySnapshot(channel, takenAt, event, jpeg));
    return true;
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

  private onOpen(target: PublishTarget): void {
    // The codecs this edge can send; a hub that does not know the field ignores it (and answers without one).
    const codecs: RelayCodec[] = target.codec === 'jpeg' ? ['jpeg'] : ['h264', 'jpeg'];
    // Audio goes with H.264 only; an older hub ignores the field and gets none.
    const audio = target.codec === 'jpeg' ? [] : [...RELAY_AUDIO_CODECS];
    // Pre-roll from this edge's buffer needs H.264; snapshots go either way. An older hub ignores the field.
    const events = RELAY_EVENT_FEATURES.filter((f) => f !== 'pre-roll' || target.codec !== 'jpeg');
    this.send({ type: 'hello', protocol: RELAY_PROTOCOL, role: 'edge', edge: target.name, codecs, audio, events });
    this.helloTimer = setTimeout(() => {
      this.failure ??= {
        class: 'protocol',
        reason: `no hello from the hub within ${HELLO_TIMEOUT_MS / 1000}s`,
        hint: 'is this URL a camrelay hub?',
      };
      this.ws.terminate();
    }, HELLO_TIMEOUT_MS);
    // Pings find a hub that vanished without closing TCP (a NAT mapping dropped, a hub host powered off).
    this.keepalive = new Keepalive(this.ws, () => {
      this.failure ??= { class: 'unreachable', reason: 'the hub did not answer a ping' };
    });
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.keepalive?.heard();
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
        // No `codecs` in the hub's hello: a hub that predates H.264 uplinks, JPEG only.
        const wanted = this.target.codec ?? 'auto';
        this.codec = wanted !== 'jpeg' && message.codecs?.includes('h264') ? 'h264' : 'jpeg';
        this.audio = this.codec === 'h264' ? (message.audio ?? []) : [];
        this.events = (message.events ?? []).filter((f) => f !== 'pre-roll' || this.codec === 'h264');
        if (wanted === 'h264' && this.codec !== 'h264')
          this.log.warn('the hub does not accept H.264 from edges (an older camrelay?): publishing JPEG');
        const { cameras, streams } = this.publisher.announced();
        this.streams = streams;
        this.fps = new Map(cameras.map((c) => [c.id, c.fps]));
        this.send({ type: 'announce', cameras });
        this.isEstablished = true;
        this.publisher.established();
        this.log.info(
          { cameras: cameras.map((c) => c.id), codec: this.codec, audio: this.audio },
          'connected to hub; cameras announced',
        );
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
            this.codec === 'h264' ? (this.options.h264Window ?? DEFAULT_H264_UPLINK_WINDOW) : this.options.window,
            this.options.maxBufferedBytes,
            this.log,
            fps,
            this.codec,
          );
          this.uplinks.set(message.camera, uplink);
        }
        const buffer = message.from !== undefined ? this.buffers.get(message.camera) : undefined;
        this.log.info(
          { camera: message.camera, ...(buffer ? { from: message.from, bufferedMs: buffer.preRoll.spanMs } : {}) },
          'hub started the camera',
        );
        uplink.start(message.from, buffer);
        return;
      }
      case 'buffer': {
        // Kept for the hub's events: only with the pre-roll feature (an H.264 uplink), for a camera of ours.
        const stream = this.streams.get(message.camera);
        if (!stream || !this.events.includes('pre-roll')) return;
        const minDurationMs = this.options.buffers ? this.options.buffers.get(message.camera) : 0;
        if (minDurationMs === undefined) return; // no motion here, so no events: no use
        this.buffers.get(message.camera)?.stop();
        this.buffers.delete(message.camera);
        if (message.ms === 0) return;
        const buffer = new EdgeBuffer(stream, message.ms + minDurationMs);
        if (buffer.start()) {
          this.buffers.set(message.camera, buffer);
          this.log.info({ camera: message.camera, ms: message.ms }, "keeping a pre-roll for the hub's events");
        }
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
      case 'ping':
        // At once, with this edge's clock: the hub estimates the offset between the clocks from it.
        this.send({ type: 'pong', t: message.t, edge: preciseNow() });
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
    this.keepalive?.stop();
    for (const uplink of this.uplinks.values()) uplink.stop();
    this.uplinks.clear();
    for (const buffer of this.buffers.values()) buffer.stop();
    this.buffers.clear();
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
