/**
 * Getting the video to the player, whatever it takes: which transport to
 * use (WebSocket, or MJPEG in an <img> where WebSocket can't be used or keeps
 * failing), retrying with backoff after a failure, and pausing. What arrives
 * is handed to the element through ConnectionEvents; what it means (live,
 * offline, …) is the element's business.
 */
import { Backoff } from './backoff.js';
import type { AudioHeader } from '../../../src/wire/audio-message.js';
import type { AudioTrackConfig, TrackConfig } from './media.js';
import { MjpegView } from './mjpeg-view.js';
import { h265Supported, type PlaybackPath } from './path.js';
import {
  PROTOCOL_VERSION,
  type FrameHeader,
  type HelloMessage,
  type QualityMessage,
  type StatusMessage,
} from './protocol.js';
import type { QualityChoice, Transport } from './types.js';
import { mjpegUrl, wsUrl, type Endpoint } from './urls.js';
import { WsConnection } from './ws-connection.js';

/** In `auto`, WebSocket attempts that never open before the MJPEG stream is tried instead. */
const WS_FAILURES_BEFORE_MJPEG = 3;
/** …and MJPEG failures before WebSocket gets another chance (the server may simply have been down). */
const MJPEG_FAILURES_BEFORE_WS = 2;

export type TransportChoice = 'auto' | Transport;

export interface ConnectionEvents {
  /** A WebSocket is open and greeted (protocol v1). */
  hello(message: HelloMessage): void;
  status(message: StatusMessage): void;
  /** `ack` once the frame has been dealt with. */
  frame(header: FrameHeader, jpeg: Blob, ack: () => void): void;
  /** H.264 or H.265: a decoder configuration, then access units (see WsEvents). */
  config(config: TrackConfig): void;
  video(header: FrameHeader, unit: Uint8Array, ack: () => void): void;
  quality(message: QualityMessage): void;
  /** `?audio=1`: the audio track's configuration and units (ws-connection.ts). */
  audioConfig(config: AudioTrackConfig): void;
  audio(header: AudioHeader, data: Uint8Array): void;
  /** The MJPEG stream shows its first picture. */
  mjpegLoaded(width: number, height: number): void;
  /** The connection failed or dropped; a retry is scheduled unless held. */
  lost(): void;
  error(message: string): void;
}

export class Connection {
  private ws: WsConnection | undefined;
  private readonly mjpeg: MjpegView;
  private readonly backoff = new Backoff();
  private endpoint: Endpoint = { src: '', camera: '', token: null };
  private choice: TransportChoice = 'auto';
  /** How the player will decode: H.264 (and H.265 where the path decodes it) is asked for unless it is 'jpeg'. */
  private path: PlaybackPath = 'jpeg';
  /** Bumped by every start and stop: a WebSocket whose opening waited on a question opens only if still wanted. */
  private opening = 0;
  /** H.264: the quality asked for. */
  private quality: QualityChoice = 'auto';
  /** Ask for the camera's audio too. */
  private audio = false;
  private transport: Transport | null = null;
  private wsFailures = 0;
  private mjpegFailures = 0;
  /** In `auto`, WebSocket kept failing and MJPEG is used instead. */
  private fallback = false;
  private retryTimer = 0;
  /** Paused or suspended: no retries until resumed. */
  private held = false;

  constructor(
    img: HTMLImageElement,
    private readonly events: ConnectionEvents,
  ) {
    this.mjpeg = new MjpegView(img, {
      loaded: (width, height) => {
        this.backoff.reset();
        this.mjpegFailures = 0;
        this.events.mjpegLoaded(width, height);
      },
      failed: () => this.onMjpegFailed(),
    });
  }

  /** The transport in use, or last used. */
  get current(): Transport | null {
    return this.transport;
  }

  /** The open WebSocket's clock estimate, for latency. */
  get clock(): WsConnection['clock'] | undefined {
    return this.ws?.clock;
  }

  /** True while a transport is open or opening (false when stopped or waiting to retry). */
  get active(): boolean {
    return this.ws !== undefined || this.mjpeg.running;
  }

  /**
   * Starts over for `endpoint`: failure counts and backoff reset. Connects
   * at once, or, with `connectNow` false, at the next resume() (a player
   * that is not on screen).
   */
  start(
    endpoint: Endpoint,
    choice: TransportChoice,
    connectNow = true,
    path: PlaybackPath = 'jpeg',
    quality: QualityChoice = 'auto',
    audio = false,
  ): void {
    this.stop();
    this.audio = audio;
    this.endpoint = endpoint;
    this.choice = choice;
    this.path = path;
    this.quality = quality;
    this.backoff.reset();
    this.wsFailures = 0;
    this.mjpegFailures = 0;
    this.fallback = false;
    if (connectNow) this.connect();
    else this.held = true;
  }

  /** Opens the transport the situation calls for, now. */
  connect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    this.held = false;
    if (this.pick() === 'mjpeg') this.startMjpeg();
    else this.startWs();
  }

  /** Closes everything and cancels any retry. */
  stop(): void {
    this.opening++;
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    this.ws?.close();
    this.ws = undefined;
    this.mjpeg.stop();
  }

  /**
   * Stops the frames while nobody can see them. Over WebSocket the connection
   * stays (status still arrives) and true is returned; an MJPEG stream cannot
   * pause, so it is closed (false). Either way, no retry until resume().
   */
  pause(): boolean {
    this.held = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    if (this.ws) {
      this.ws.pause();
      return true;
    }
    this.mjpeg.stop();
    return false;
  }

  /** Frames again: over the paused WebSocket, or by connecting anew. */
  resume(): void {
    this.held = false;
    if (this.ws) this.ws.resume();
    else if (!this.mjpeg.running) this.connect();
  }

  private pick(): Transport {
    if (this.choice !== 'auto') return this.choice;
    return typeof WebSocket !== 'function' || this.fallback ? 'mjpeg' : 'ws';
  }

  private startWs(): void {
    this.transport = 'ws';
    this.mjpeg.stop();
    if (this.path === 'jpeg') {
      this.openWs(false);
      return;
    }
    // Whether to ask for H.265 too: the browser's answer (asked once, then at once).
    const opening = ++this.opening;
    void h265Supported(this.path).then((h265) => {
      if (opening === this.opening && this.transport === 'ws' && !this.ws) this.openWs(h265);
    });
  }

  private openWs(h265: boolean): void {
    try {
      this.ws = new WsConnection(wsUrl(this.endpoint, this.path, this.quality, h265, this.audio), {
        hello: (message) => this.onHello(message),
        status: (message) => this.events.status(message),
        frame: (header, jpeg, ack) => this.events.frame(header, jpeg, ack),
        config: (config) => this.events.config(config),
        video: (header, unit, ack) => this.events.video(header, unit, ack),
        quality: (message) => this.events.quality(message),
        audioConfig: (config) => this.events.audioConfig(config),
        audio: (header, data) => this.events.audio(header, data),
        closed: ({ opened, code, reason }) => this.onWsClosed(opened, code, reason),
      });
    } catch (err) {
      // The browser refused the URL outright (e.g. ws: from an https: page): no point retrying it.
      this.giveUpOnWs(`WebSocket refused: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private startMjpeg(): void {
    this.transport = 'mjpeg';
    this.mjpeg.start(mjpegUrl(this.endpoint));
  }

  private onHello(message: HelloMessage): void {
    if (message.protocol !== PROTOCOL_VERSION) {
      // A server of another major version: this player can't talk to it, but its MJPEG may still work.
      this.ws?.close();
      this.ws = undefined;
      this.giveUpOnWs(`the server speaks protocol ${message.protocol}, this player ${PROTOCOL_VERSION}`);
      return;
    }
    this.backoff.reset();
    this.wsFailures = 0;
    this.events.hello(message);
  }

  private onWsClosed(opened: boolean, code: number, reason: string): void {
    this.ws = undefined;
    if (!opened) this.wsFailures++;
    const why = opened ? `connection closed (${code}${reason ? `: ${reason}` : ''})` : 'could not connect';
    if (this.choice === 'auto' && this.wsFailures >= WS_FAILURES_BEFORE_MJPEG) {
      this.fallback = true;
      this.mjpegFailures = 0;
      this.events.error(`WebSocket ${why} ${this.wsFailures} times; trying MJPEG`);
    } else this.events.error(`WebSocket ${why}`);
    this.lost();
  }

  private onMjpegFailed(): void {
    this.mjpegFailures++;
    this.events.error('MJPEG stream failed');
    if (this.choice === 'auto' && this.fallback && this.mjpegFailures >= MJPEG_FAILURES_BEFORE_WS) {
      this.fallback = false;
      this.wsFailures = 0;
    }
    this.lost();
  }

  /** WebSocket can't work here: MJPEG at once in `auto`, else report and retry. */
  private giveUpOnWs(message: string): void {
    this.events.error(message);
    if (this.choice === 'auto') {
      this.fallback = true;
      this.startMjpeg();
    } else this.lost();
  }

  private lost(): void {
    this.events.lost();
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    if (!this.held) this.retryTimer = window.setTimeout(() => this.connect(), this.backoff.next());
  }
}
