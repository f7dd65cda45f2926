/**
 * <camrelay-player src="http://host:8080" camera="front" [token] [stats] [fit="contain|cover"] [transport="auto|ws|mjpeg"]>
 *
 * Plays one camera. Over WebSocket (protocol v1) it decodes the JPEGs itself
 * (createImageBitmap, latest wins) and draws them on a canvas at the display's
 * pace, measuring fps and capture→display latency as it goes. Where WebSocket
 * can't be used it shows the MJPEG stream in an <img>. It reconnects with
 * backoff, and stops receiving while hidden or scrolled away.
 *
 * This file is the wiring: each part (protocol, decoding, drawing, stats,
 * visibility) lives in its own module.
 */
import { ActivityWatcher } from './activity.js';
import { Backoff } from './backoff.js';
import { wallNow } from './clock.js';
import { LatestFrameDecoder, type DecodedFrame } from './decoder.js';
import { dispatchPlayerEvent } from './events.js';
import { MjpegView } from './mjpeg-view.js';
import { formatStats, stateMessage } from './overlay.js';
import { CanvasPresenter } from './presenter.js';
import type { FrameHeader, StatusMessage } from './protocol.js';
import { StatsCollector } from './stats.js';
import { PLAYER_CSS } from './styles.js';
import type { Fit, PlayerState, PlayerStats, Transport } from './types.js';
import { mjpegUrl, snapshotUrl, wsUrl, type Endpoint } from './urls.js';
import { WsConnection } from './ws-connection.js';

/** At most this many `frame` events (and overlay updates) per second. */
const FRAME_EVENTS_PER_SECOND = 4;
/** Hidden longer than this: the connection is closed so an unwatched camera can stop. */
const PAUSE_DISCONNECT_MS = 30_000;
/** In `auto`, WebSocket attempts that never open before the MJPEG stream is tried instead. */
const WS_FAILURES_BEFORE_MJPEG = 3;
/** …and MJPEG failures before WebSocket gets another chance (the server may simply have been down). */
const MJPEG_FAILURES_BEFORE_WS = 2;

type TransportChoice = 'auto' | Transport;

interface Offline {
  cause: 'camera' | 'connection';
  since: number;
  reason: string | null;
}

export class CamrelayPlayer extends HTMLElement {
  static readonly observedAttributes = ['src', 'camera', 'token', 'transport', 'fit', 'stats'];

  private readonly canvas: HTMLCanvasElement;
  private readonly img: HTMLImageElement;
  private readonly messageBox: HTMLDivElement;
  private readonly messageText: HTMLSpanElement;
  private readonly spinner: HTMLDivElement;
  private readonly statsBox: HTMLDivElement;

  private readonly presenter: CanvasPresenter;
  private readonly decoder: LatestFrameDecoder;
  private readonly mjpeg: MjpegView;
  private readonly collector = new StatsCollector();
  private readonly activity: ActivityWatcher;
  private readonly resizeObserver: ResizeObserver;
  private readonly backoff = new Backoff();

  private ws: WsConnection | undefined;
  private transportInUse: Transport | null = null;
  private stateValue: PlayerState = 'idle';
  private paused = false;
  private onlineValue = false;
  private offline: Offline | null = null;
  /** An offline status that came before any frame: the camera may only be starting (see onStatus). */
  private pendingOffline: StatusMessage | undefined;
  private mjpegShowing = false;
  private mjpegSize = { width: 0, height: 0 };
  private connections = 0;
  private wsFailures = 0;
  private mjpegFailures = 0;
  /** In `auto`, WebSocket kept failing and MJPEG is being used instead. */
  private fallback = false;
  private reconnectTimer = 0;
  private pauseTimer = 0;
  private overlayTimer = 0;
  private restartQueued = false;
  private lastFrameEventAt = 0;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = PLAYER_CSS;
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('part', 'canvas');
    this.canvas.setAttribute('role', 'img');
    this.img = document.createElement('img');
    this.img.setAttribute('part', 'img');
    this.img.alt = '';
    this.img.hidden = true;
    this.messageBox = document.createElement('div');
    this.messageBox.className = 'message';
    this.messageBox.setAttribute('part', 'message');
    this.messageBox.setAttribute('role', 'status');
    this.spinner = document.createElement('div');
    this.spinner.className = 'spinner';
    this.messageText = document.createElement('span');
    this.messageBox.append(this.spinner, this.messageText);
    this.statsBox = document.createElement('div');
    this.statsBox.className = 'stats';
    this.statsBox.setAttribute('part', 'stats');
    this.statsBox.hidden = true;
    root.append(style, this.canvas, this.img, this.messageBox, this.statsBox);

    this.presenter = new CanvasPresenter(this.canvas, {
      presented: (frame) => this.onPresented(frame),
      dropped: () => this.collector.dropped++,
    });
    this.decoder = new LatestFrameDecoder({
      decoded: (frame) => {
        this.collector.decoded++;
        this.presenter.show(frame);
      },
      dropped: () => this.collector.dropped++,
      failed: () => this.collector.errors++,
    });
    this.mjpeg = new MjpegView(this.img, {
      loaded: (width, height) => this.onMjpegLoaded(width, height),
      failed: () => this.onMjpegFailed(),
    });
    this.activity = new ActivityWatcher(this, (active) => this.onActivity(active));
    this.resizeObserver = new ResizeObserver((entries) => this.onResize(entries));
  }

  // ---- attributes and properties ----

  get src(): string {
    return this.getAttribute('src') ?? '';
  }
  set src(value: string) {
    this.setAttribute('src', value);
  }

  get camera(): string {
    return this.getAttribute('camera') ?? '';
  }
  set camera(value: string) {
    this.setAttribute('camera', value);
  }

  get token(): string | null {
    return this.getAttribute('token');
  }
  set token(value: string | null) {
    if (value === null) this.removeAttribute('token');
    else this.setAttribute('token', value);
  }

  get fit(): Fit {
    return this.getAttribute('fit') === 'cover' ? 'cover' : 'contain';
  }
  set fit(value: Fit) {
    this.setAttribute('fit', value);
  }

  get transport(): TransportChoice {
    const value = this.getAttribute('transport');
    return value === 'ws' || value === 'mjpeg' ? value : 'auto';
  }
  set transport(value: TransportChoice) {
    this.setAttribute('transport', value);
  }

  /** The `stats` attribute: the overlay on or off (`stats="false"` counts as off). */
  get showStats(): boolean {
    const value = this.getAttribute('stats');
    return value !== null && value !== 'false' && value !== 'off';
  }
  set showStats(on: boolean) {
    this.toggleAttribute('stats', on);
  }

  get state(): PlayerState {
    return this.paused && this.stateValue !== 'idle' ? 'paused' : this.stateValue;
  }

  /** The camera's latest picture as a JPEG URL, token included (for a download link). */
  get snapshotUrl(): string {
    return snapshotUrl(this.endpoint());
  }

  /** What the player measured, computed now. */
  get stats(): PlayerStats {
    const now = wallNow();
    const ws = this.ws;
    const mjpeg = this.transportInUse === 'mjpeg';
    const latency = mjpeg ? undefined : this.collector.latency(now);
    const size = mjpeg ? this.mjpegSize : this.presenter.pictureSize;
    const c = this.collector;
    return {
      state: this.state,
      online: this.onlineValue,
      transport: this.transportInUse,
      fps: mjpeg ? null : round(this.collector.fps(now), 1),
      latencyMs: latency === undefined ? null : round(latency, 1),
      clockOffsetMs: ws?.clock.offsetMs === undefined ? null : round(ws.clock.offsetMs, 1),
      rttMs: ws?.clock.rttMs === undefined ? null : round(ws.clock.rttMs, 1),
      received: c.received,
      decoded: c.decoded,
      displayed: c.displayed,
      dropped: c.dropped,
      errors: c.errors,
      seq: c.seq,
      width: size.width,
      height: size.height,
      offlineSince: this.offline?.since ?? null,
      offlineReason: this.offline?.reason ?? null,
      reconnects: Math.max(0, this.connections - 1),
    };
  }

  /** Drops the connection and opens a new one now. */
  reconnect(): void {
    this.restart(false);
  }

  // ---- lifecycle ----

  connectedCallback(): void {
    this.activity.start();
    try {
      // Exact device pixels where the browser can say (no rounding blur); content box elsewhere.
      this.resizeObserver.observe(this, { box: 'device-pixel-content-box' });
    } catch {
      this.resizeObserver.observe(this);
    }
    this.updateStatsVisibility();
    this.restart(true);
  }

  disconnectedCallback(): void {
    this.activity.stop();
    this.resizeObserver.disconnect();
    this.stopTransports();
    clearTimeout(this.pauseTimer);
    // Timers hold the element: left running, a removed player would never be collected.
    clearInterval(this.overlayTimer);
    this.overlayTimer = 0;
    this.paused = false;
    this.presenter.clear();
    this.setState('idle');
  }

  attributeChangedCallback(name: string, oldValue: string | null, newValue: string | null): void {
    if (oldValue === newValue || !this.isConnected) return;
    switch (name) {
      case 'fit':
        this.presenter.fit = this.fit;
        return;
      case 'stats':
        this.updateStatsVisibility();
        return;
      default:
        // Several attributes are often set in a row: one reconnect for all of them.
        if (this.restartQueued) return;
        this.restartQueued = true;
        queueMicrotask(() => {
          this.restartQueued = false;
          if (this.isConnected) this.restart(name === 'camera' || name === 'src');
        });
    }
  }

  // ---- connecting ----

  private endpoint(): Endpoint {
    return { src: this.src, camera: this.camera, token: this.token };
  }

  /** Starts over: a new connection, counters of failures reset; `newPicture` blanks the old camera's picture. */
  private restart(newPicture: boolean): void {
    this.stopTransports();
    this.backoff.reset();
    this.wsFailures = 0;
    this.mjpegFailures = 0;
    this.fallback = false;
    this.pendingOffline = undefined;
    this.offline = null;
    this.onlineValue = false;
    if (newPicture) this.presenter.clear();
    this.presenter.fit = this.fit;
    this.setState(this.camera ? 'connecting' : 'idle');
    this.connect();
  }

  private connect(): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = 0;
    if (!this.camera || !this.isConnected) return this.setState('idle');
    if (!this.activity.active) {
      // Connects when it becomes visible (onActivity).
      this.paused = true;
      return this.render();
    }
    this.paused = false;
    if (this.chooseTransport() === 'mjpeg') this.startMjpeg();
    else this.startWs();
  }

  private chooseTransport(): Transport {
    const choice = this.transport;
    if (choice !== 'auto') return choice;
    return typeof WebSocket !== 'function' || this.fallback ? 'mjpeg' : 'ws';
  }

  private startWs(): void {
    this.transportInUse = 'ws';
    this.hideMjpeg();
    this.collector.breakSequence();
    try {
      this.ws = new WsConnection(wsUrl(this.endpoint()), {
        hello: () => this.onHello(),
        status: (message) => this.onStatus(message),
        frame: (header, jpeg) => this.onFrame(header, jpeg),
        closed: ({ opened, code, reason }) => this.onWsClosed(opened, code, reason),
      });
    } catch (err) {
      // The browser refused the URL outright (e.g. ws: from an https: page): no point retrying it.
      this.emitError(`WebSocket refused: ${err instanceof Error ? err.message : String(err)}`);
      if (this.transport === 'auto') {
        this.fallback = true;
        this.startMjpeg();
      } else this.disconnected();
    }
  }

  private startMjpeg(): void {
    this.transportInUse = 'mjpeg';
    this.mjpegShowing = false;
    this.mjpeg.start(mjpegUrl(this.endpoint()));
  }

  private stopTransports(): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = 0;
    this.ws?.close();
    this.ws = undefined;
    this.hideMjpeg();
    this.decoder.reset();
  }

  private hideMjpeg(): void {
    this.mjpeg.stop();
    this.mjpegShowing = false;
    this.canvas.hidden = false;
  }

  private scheduleReconnect(): void {
    clearTimeout(this.reconnectTimer);
    if (this.paused) return; // onActivity connects when visible again
    this.reconnectTimer = window.setTimeout(() => this.connect(), this.backoff.next());
  }

  // ---- WebSocket events ----

  private onHello(): void {
    this.connections++;
    this.backoff.reset();
    this.wsFailures = 0;
    this.pendingOffline = undefined;
    this.collector.breakSequence();
    // The camera is live unless a status says otherwise before the first frame.
    if (this.stateValue !== 'live' && this.stateValue !== 'offline') this.setState('starting');
  }

  /**
   * The server sends `status` offline right after hello both for a camera
   * that failed and for one that is merely starting; only a failed one then
   * sends (NO SIGNAL) frames. So an offline status before any frame is held
   * until a frame confirms it, and the viewer meanwhile sees "starting".
   */
  private onStatus(message: StatusMessage): void {
    if (message.online) {
      this.pendingOffline = undefined;
      this.goLive();
    } else if (this.stateValue === 'live' || this.stateValue === 'offline') {
      this.goOffline({ cause: 'camera', since: message.since, reason: message.reason ?? null });
    } else {
      this.pendingOffline = message;
      this.setState('starting');
    }
  }

  private onFrame(header: FrameHeader, jpeg: Blob): void {
    this.collector.frameReceived(header.seq);
    const pending = this.pendingOffline;
    if (pending) {
      this.pendingOffline = undefined;
      this.goOffline({ cause: 'camera', since: pending.since, reason: pending.reason ?? null });
    } else if (this.stateValue !== 'live' && this.stateValue !== 'offline') this.goLive();
    this.decoder.push({ jpeg, seq: header.seq, capturedAt: header.capturedAt });
  }

  private onWsClosed(opened: boolean, code: number, reason: string): void {
    this.ws = undefined;
    if (!opened) this.wsFailures++;
    const why = opened ? `connection closed (${code}${reason ? `: ${reason}` : ''})` : 'could not connect';
    if (this.transport === 'auto' && this.wsFailures >= WS_FAILURES_BEFORE_MJPEG) {
      this.fallback = true;
      this.mjpegFailures = 0;
      this.emitError(`WebSocket ${why} ${this.wsFailures} times; trying MJPEG`);
    } else if (this.stateValue !== 'disconnected') this.emitError(`WebSocket ${why}`);
    this.disconnected();
  }

  // ---- MJPEG events ----

  private onMjpegLoaded(width: number, height: number): void {
    this.connections++;
    this.backoff.reset();
    this.mjpegFailures = 0;
    this.mjpegSize = { width, height };
    this.mjpegShowing = true;
    // The <img> replaces the canvas; the canvas keeps no picture to leak.
    this.presenter.clear();
    this.canvas.hidden = true;
    this.goLive();
  }

  private onMjpegFailed(): void {
    this.mjpegFailures++;
    if (this.stateValue !== 'disconnected') this.emitError('MJPEG stream failed');
    if (this.transport === 'auto' && this.fallback && this.mjpegFailures >= MJPEG_FAILURES_BEFORE_WS) {
      this.fallback = false;
      this.wsFailures = 0;
    }
    this.disconnected();
  }

  // ---- state ----

  private goLive(): void {
    this.offline = null;
    this.setState('live');
    if (!this.onlineValue && this.transportInUse) {
      this.onlineValue = true;
      dispatchPlayerEvent(this, 'online', { transport: this.transportInUse });
    }
  }

  private goOffline(offline: Offline): void {
    const same = this.offline && this.offline.cause === offline.cause && this.offline.since === offline.since;
    this.offline = offline;
    this.onlineValue = false;
    this.setState(offline.cause === 'camera' ? 'offline' : 'disconnected');
    if (!same) dispatchPlayerEvent(this, 'offline', offline);
  }

  private disconnected(): void {
    if (this.offline?.cause !== 'connection') this.goOffline({ cause: 'connection', since: Date.now(), reason: 'the server cannot be reached' });
    this.setState('disconnected');
    this.scheduleReconnect();
  }

  private setState(state: PlayerState): void {
    this.stateValue = state;
    this.render();
  }

  private onActivity(active: boolean): void {
    clearTimeout(this.pauseTimer);
    if (!active) {
      this.paused = true;
      this.collector.breakSequence();
      if (this.ws) {
        this.ws.pause();
        // Paused, the camera still runs for us; past a while, let it go idle.
        this.pauseTimer = window.setTimeout(() => this.stopTransports(), PAUSE_DISCONNECT_MS);
      } else {
        this.stopTransports(); // MJPEG cannot pause; a pending reconnect waits
      }
      this.render();
      return;
    }
    this.paused = false;
    if (this.ws) this.ws.resume();
    else if (this.camera) this.connect();
    this.render();
  }

  // ---- drawing ----

  private onResize(entries: ResizeObserverEntry[]): void {
    const entry = entries[entries.length - 1];
    if (!entry) return;
    const ratio = window.devicePixelRatio || 1;
    const width = entry.contentRect.width * ratio;
    const height = entry.contentRect.height * ratio;
    const device = entry.devicePixelContentBoxSize?.[0];
    // Exact device pixels where the browser knows them; but some (emulated screens) report
    // CSS pixels there, so they are used only when they agree with the ratio.
    if (device && Math.abs(device.inlineSize - width) <= 2 && Math.abs(device.blockSize - height) <= 2) this.presenter.resize(device.inlineSize, device.blockSize);
    else this.presenter.resize(width, height);
  }

  private onPresented(frame: DecodedFrame): void {
    const now = wallNow();
    const local = this.ws?.clock.toLocal(frame.capturedAt);
    this.collector.framePresented(frame.seq, now, local === undefined ? Number.NaN : now - local);
    if (this.messageBox.hidden === false) this.render();
    if (now - this.lastFrameEventAt >= 1000 / FRAME_EVENTS_PER_SECOND) {
      this.lastFrameEventAt = now;
      const s = this.stats;
      dispatchPlayerEvent(this, 'frame', { fps: s.fps, latencyMs: s.latencyMs, seq: s.seq, width: s.width, height: s.height, dropped: s.dropped });
      if (this.showStats) this.statsBox.textContent = formatStats(s);
    }
  }

  private updateStatsVisibility(): void {
    const on = this.showStats;
    this.statsBox.hidden = !on;
    clearInterval(this.overlayTimer);
    this.overlayTimer = 0;
    if (on) {
      this.statsBox.textContent = formatStats(this.stats);
      // Frames update it too; this keeps it honest when they stop (fps falling to 0).
      this.overlayTimer = window.setInterval(() => {
        if (this.isConnected) this.statsBox.textContent = formatStats(this.stats);
      }, 1000);
    }
  }

  /** Shows the message for the state, over the picture only when the picture is stale. */
  private render(): void {
    const picture = this.mjpegShowing || this.presenter.hasPicture;
    const state = this.state;
    const text = stateMessage(state, this.camera !== '');
    const show = text !== undefined && (!picture || state === 'disconnected');
    this.messageBox.hidden = !show;
    if (!show) return;
    this.messageText.textContent = text;
    this.spinner.hidden = state === 'idle';
    this.messageBox.classList.toggle('over-picture', picture);
  }

  private emitError(message: string): void {
    dispatchPlayerEvent(this, 'error', { message, transport: this.transportInUse });
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
