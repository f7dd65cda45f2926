/**
 * <camrelay-player src="http://host:8080" camera="front" [token] [stats] [fit="contain|cover"]
 *                  [transport="auto|ws|mjpeg"] [path="auto|webcodecs|mse|jpeg"]
 *                  [quality="auto|main|sub|keyframes"]>
 *
 * Plays one camera. Over WebSocket (protocol v1) it asks for H.264 where the
 * browser can decode it: with WebCodecs (secure contexts), drawn on a canvas,
 * or else with Media Source Extensions in a <video>; JPEG otherwise, or when
 * the server sends JPEG anyway (createImageBitmap, latest wins, on the
 * canvas). It measures fps and capture→display latency as it goes. Where
 * WebSocket can't be used it shows the MJPEG stream in an <img>. It
 * reconnects with backoff, and stops receiving while hidden or scrolled away.
 *
 * This file is the element: attributes, lifecycle, and what the camera's
 * state is. Getting the video (connection.ts), choosing the path (path.ts),
 * decoding (decoder.ts, webcodecs-decoder.ts, mse-decoder.ts), drawing
 * (presenter.ts), measuring (stats.ts) and visibility (activity.ts) are their
 * own modules.
 */
import { ActivityWatcher } from './activity.js';
import { wallNow } from './clock.js';
import { Connection, type TransportChoice } from './connection.js';
import { LatestFrameDecoder } from './decoder.js';
import { dispatchPlayerEvent } from './events.js';
import type { VideoConfig } from './h264.js';
import { MseDecoder } from './mse-decoder.js';
import { formatStats, stateMessage } from './overlay.js';
import { choosePath, parsePathChoice, type PathChoice, type PlaybackPath } from './path.js';
import { CanvasPresenter, type PresentedFrame } from './presenter.js';
import {
  CODEC_H264,
  CODEC_H265,
  FLAG_KEYFRAME,
  type FrameHeader,
  type HelloMessage,
  type QualityMessage,
  type StatusMessage,
} from './protocol.js';
import { StatsCollector } from './stats.js';
import type { Fit, OfflineEventDetail, PlayerState, PlayerStats, QualityChoice, QualityEventDetail } from './types.js';
import { snapshotUrl, type Endpoint } from './urls.js';
import { buildView, type PlayerView } from './view.js';
import { WebCodecsDecoder } from './webcodecs-decoder.js';

/** At most this many `frame` events (and overlay updates) per second. */
const FRAME_EVENTS_PER_SECOND = 4;
/** Hidden longer than this: the connection is closed so an unwatched camera can stop. */
const PAUSE_DISCONNECT_MS = 30_000;
/**
 * H.264 brings no NO SIGNAL pictures: an offline status before any video is shown after this
 * long without video (a camera that is merely starting sends its first keyframe before).
 */
const H264_OFFLINE_AFTER_MS = 3000;
/** …and after this long when the server says the camera is only being started for us. */
const H264_STARTING_OFFLINE_AFTER_MS = 8000;
const STARTING_REASONS = new Set(['not started', 'idle']);
/** H.264 decoder failures in a row, without a picture between, before the next path is tried. */
const FAILURES_BEFORE_FALLBACK = 3;

export class CamrelayPlayer extends HTMLElement {
  static readonly observedAttributes = ['src', 'camera', 'token', 'transport', 'path', 'fit', 'stats', 'quality'];

  private readonly view: PlayerView;
  private readonly presenter: CanvasPresenter;
  private readonly decoder: LatestFrameDecoder;
  private readonly webcodecs: WebCodecsDecoder;
  private readonly mse: MseDecoder;
  private readonly connection: Connection;
  private readonly collector = new StatsCollector();
  private readonly activity: ActivityWatcher;
  private readonly resizeObserver: ResizeObserver;

  private stateValue: PlayerState = 'idle';
  /** Hidden or off-screen (see onActivity). */
  private paused = false;
  private onlineValue = false;
  private offline: OfflineEventDetail | null = null;
  /** An offline status that came before any frame: the camera may only be starting (see onStatus). */
  private pendingOffline: StatusMessage | undefined;
  private mjpegSize: { width: number; height: number } | undefined;
  private connections = 0;
  private pauseTimer = 0;
  private overlayTimer = 0;
  private restartQueued = false;
  /** Between connectedCallback and disconnectedCallback. */
  private started = false;
  private lastFrameEventAt = 0;
  /** The path asked of the server at the last restart (H.264 unless 'jpeg'). */
  private wantedPath: PlaybackPath = 'jpeg';
  /** A path that failed here: the next restart chooses after it. */
  private failedPaths = new Set<PlaybackPath>();
  /** What the server sends on this connection (from hello), and so the path in use. */
  private codec: 'h264' | 'h265' | 'jpeg' | null = null;
  private h264Failures = 0;
  private offlineTimer = 0;
  /** H.264: what the server says this connection gets, and why. */
  private qualityValue: QualityEventDetail | null = null;

  constructor() {
    super();
    this.view = buildView(this);
    this.presenter = new CanvasPresenter(this.view.canvas, {
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
    this.webcodecs = new WebCodecsDecoder({
      decoded: (frame) => {
        this.collector.decoded++;
        this.h264Failures = 0;
        this.presenter.show(frame);
      },
      skipped: () => this.collector.skipped++,
      failed: (error) => this.onDecoderFailed(error),
    });
    this.mse = new MseDecoder(this.view.video, {
      shown: (frame, skipped) => {
        this.collector.decoded++;
        this.collector.skipped += skipped;
        this.h264Failures = 0;
        this.onShown(frame.seq, frame.receivedAt);
      },
      skipped: () => this.collector.skipped++,
      jumped: () => this.collector.liveJumps++,
      failed: (error) => this.onDecoderFailed(error),
    });
    this.connection = new Connection(this.view.img, {
      hello: (message) => this.onHello(message),
      status: (message) => this.onStatus(message),
      frame: (header, jpeg, ack) => this.onFrame(header, jpeg, ack),
      config: (config) => this.onConfig(config),
      video: (header, unit, ack) => this.onVideo(header, unit, ack),
      quality: (message) => this.onQuality(message),
      mjpegLoaded: (width, height) => this.onMjpegLoaded(width, height),
      lost: () => this.onLost(),
      error: (message) => dispatchPlayerEvent(this, 'error', { message, transport: this.connection.current }),
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

  /** The `path` attribute: how to decode (`auto` picks WebCodecs, then MSE, then JPEG). */
  get path(): PathChoice {
    return parsePathChoice(this.getAttribute('path'));
  }
  set path(value: PathChoice) {
    this.setAttribute('path', value);
  }

  /**
   * The `quality` attribute: which H.264 stream to ask for. `auto` (the default): what the link carries,
   * changed live by the server; `main`, `sub` (the camera's smaller stream), `keyframes` (its keyframes only).
   */
  get quality(): QualityChoice {
    const value = this.getAttribute('quality');
    return value === 'main' || value === 'sub' || value === 'keyframes' ? value : 'auto';
  }
  set quality(value: QualityChoice) {
    this.setAttribute('quality', value);
  }

  /** H.264: the stream the server sends now and why (null before it said, and for JPEG). */
  get currentQuality(): QualityEventDetail | null {
    return this.qualityValue;
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
    const clock = this.connection.clock;
    const mjpeg = this.connection.current === 'mjpeg';
    const latency = mjpeg ? undefined : this.collector.latency(now);
    const path = this.activePath;
    const size = mjpeg
      ? (this.mjpegSize ?? { width: 0, height: 0 })
      : path === 'mse'
        ? this.mse.pictureSize
        : this.presenter.pictureSize;
    const c = this.collector;
    const decodeMs =
      path === 'webcodecs' ? this.webcodecs.decodeTimeMs : path === 'jpeg' && !mjpeg ? this.decoder.decodeTimeMs : 0;
    return {
      state: this.state,
      online: this.onlineValue,
      transport: this.connection.current,
      path,
      codec: mjpeg ? 'jpeg' : this.codec,
      quality: mjpeg ? null : (this.qualityValue?.quality ?? null),
      qualityReason: mjpeg ? null : (this.qualityValue?.reason ?? null),
      bitrateKbps: mjpeg || this.codec === null ? null : round(c.bitrateKbps(now), 0),
      decodeMs: decodeMs > 0 ? round(decodeMs, 1) : null,
      skipped: c.skipped,
      liveJumps: c.liveJumps,
      fps: mjpeg ? null : round(c.fps(now), 1),
      latencyMs: latency === undefined ? null : round(latency, 1),
      clockOffsetMs: clock?.offsetMs === undefined ? null : round(clock.offsetMs, 1),
      rttMs: clock?.rttMs === undefined ? null : round(clock.rttMs, 1),
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

  /** The server sends H.264 or H.265 (decoded by the path asked for), not JPEG. */
  private get video(): boolean {
    return this.codec === 'h264' || this.codec === 'h265';
  }

  /** The decoding path in use: from the server's codec and the path asked for (null before hello). */
  private get activePath(): PlaybackPath | null {
    if (this.connection.current === 'mjpeg') return 'jpeg';
    if (this.codec === null) return null;
    return this.video ? this.wantedPath : 'jpeg';
  }

  /** Drops the connection and opens a new one now. */
  reconnect(): void {
    this.restart(false);
  }

  // ---- lifecycle ----

  connectedCallback(): void {
    this.started = true;
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
    this.started = false;
    this.activity.stop();
    this.resizeObserver.disconnect();
    this.connection.stop();
    this.decoder.reset();
    this.webcodecs.reset();
    this.mse.reset();
    this.codec = null;
    clearTimeout(this.offlineTimer);
    // Timers hold the element: left running, a removed player would never be collected.
    clearTimeout(this.pauseTimer);
    clearInterval(this.overlayTimer);
    this.overlayTimer = 0;
    this.paused = false;
    this.presenter.clear();
    this.setState('idle');
  }

  attributeChangedCallback(name: string, oldValue: string | null, newValue: string | null): void {
    // An element upgraded in place hears of its attributes before connectedCallback, which starts it anyway.
    if (oldValue === newValue || !this.started) return;
    switch (name) {
      case 'fit':
        this.presenter.fit = this.fit;
        return;
      case 'stats':
        this.updateStatsVisibility();
        return;
      case 'path':
        this.failedPaths.clear();
      // falls through: a new path needs a new connection
      default:
        // Several attributes are often set in a row: one reconnect for all of them.
        if (this.restartQueued) return;
        this.restartQueued = true;
        queueMicrotask(() => {
          this.restartQueued = false;
          if (this.started) this.restart(name === 'camera' || name === 'src');
        });
    }
  }

  // ---- the camera's state ----

  private endpoint(): Endpoint {
    return { src: this.src, camera: this.camera, token: this.token };
  }

  /** Starts over with a new connection; `newPicture` blanks the old camera's picture. */
  private restart(newPicture: boolean): void {
    this.connection.stop();
    this.decoder.reset();
    this.webcodecs.reset();
    this.mse.reset();
    this.codec = null;
    this.qualityValue = null;
    this.h264Failures = 0;
    this.showVideo(false);
    clearTimeout(this.pauseTimer);
    clearTimeout(this.offlineTimer);
    this.pendingOffline = undefined;
    this.offline = null;
    this.onlineValue = false;
    this.showMjpeg(false);
    if (newPicture) this.presenter.clear();
    this.presenter.fit = this.fit;
    this.collector.breakSequence();
    if (!this.camera) return this.setState('idle');
    this.setState('connecting');
    // Off-screen, it connects when it comes into view (onActivity).
    this.paused = !this.activity.active;
    this.wantedPath = this.pickPath();
    this.connection.start(this.endpoint(), this.transport, !this.paused, this.wantedPath, this.quality);
    this.render();
  }

  /** The path for the `path` attribute, after those that failed here. */
  private pickPath(): PlaybackPath {
    let path = choosePath(this.path);
    if (this.failedPaths.has(path) && path === 'webcodecs' && !this.failedPaths.has('mse')) path = choosePath('mse');
    return this.failedPaths.has(path) ? 'jpeg' : path;
  }

  private onHello(message: HelloMessage): void {
    this.connections++;
    this.pendingOffline = undefined;
    clearTimeout(this.offlineTimer);
    this.collector.breakSequence();
    this.showMjpeg(false);
    // A server that does not know H.264 (or chose JPEG) sends JPEG: the JPEG path then.
    const codec = message.codec === 'h264' || message.codec === 'h265' ? message.codec : 'jpeg';
    this.codec = this.wantedPath !== 'jpeg' ? codec : 'jpeg';
    // A new connection: its config and keyframe come next.
    this.webcodecs.reset();
    this.mse.reset();
    this.showVideo(this.activePath === 'mse');
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
      // JPEG: a NO SIGNAL picture confirms it (onFrame). H.264 has none: no video for a while does.
      clearTimeout(this.offlineTimer);
      if (this.video) {
        const starting = STARTING_REASONS.has(message.reason ?? '');
        const after = starting ? H264_STARTING_OFFLINE_AFTER_MS : H264_OFFLINE_AFTER_MS;
        this.offlineTimer = window.setTimeout(() => this.confirmPendingOffline(), after);
      }
    }
  }

  private confirmPendingOffline(): void {
    const pending = this.pendingOffline;
    if (!pending) return;
    this.pendingOffline = undefined;
    this.goOffline({ cause: 'camera', since: pending.since, reason: pending.reason ?? null });
  }

  /** The server says which stream follows: the next config (another size) and keyframe come with it. */
  private onQuality(message: QualityMessage): void {
    if (this.codec !== 'h264') return;
    const detail = { quality: message.quality, reason: message.reason };
    this.qualityValue = detail;
    dispatchPlayerEvent(this, 'quality', detail);
    if (this.showStats) this.view.stats.textContent = formatStats(this.stats);
  }

  private onConfig(config: VideoConfig): void {
    if (!this.video) return;
    if (this.activePath === 'webcodecs') this.webcodecs.configure(config);
    else if (this.activePath === 'mse') this.mse.configure(config);
  }

  /** An H.264 (H.265) access unit: only live video comes this way, so it means the camera is live. */
  private onVideo(header: FrameHeader, unit: Uint8Array, ack: () => void): void {
    if (header.codec !== (this.codec === 'h265' ? CODEC_H265 : CODEC_H264) || !this.video) return ack();
    this.collector.frameReceived(header.seq);
    this.collector.bytesReceived(unit.byteLength, wallNow());
    this.pendingOffline = undefined;
    clearTimeout(this.offlineTimer);
    if (this.stateValue !== 'live') this.goLive();
    const access = {
      data: unit,
      keyframe: (header.flags & FLAG_KEYFRAME) !== 0,
      seq: header.seq,
      receivedAt: header.receivedAt,
      done: ack,
    };
    if (this.activePath === 'webcodecs') this.webcodecs.push(access);
    else if (this.activePath === 'mse') this.mse.push(access);
    else ack();
  }

  /**
   * A decoder that keeps failing without showing anything (a profile it cannot decode, a
   * broken MSE): the next path is tried, down to JPEG, on a new connection.
   */
  private onDecoderFailed(error: unknown): void {
    this.collector.errors++;
    const path = this.activePath;
    const message = error instanceof Error ? error.message : String(error);
    dispatchPlayerEvent(this, 'error', { message: `${path} decoder: ${message}`, transport: this.connection.current });
    if (++this.h264Failures < FAILURES_BEFORE_FALLBACK || path === null || path === 'jpeg') return;
    this.failedPaths.add(path);
    dispatchPlayerEvent(this, 'error', {
      message: `the ${path} path keeps failing; trying ${this.pickPath()}`,
      transport: this.connection.current,
    });
    queueMicrotask(() => {
      if (this.started) this.restart(false);
    });
  }

  private onFrame(header: FrameHeader, jpeg: Blob, ack: () => void): void {
    this.collector.frameReceived(header.seq);
    this.collector.bytesReceived(jpeg.size, wallNow());
    const pending = this.pendingOffline;
    if (pending) {
      this.pendingOffline = undefined;
      this.goOffline({ cause: 'camera', since: pending.since, reason: pending.reason ?? null });
    } else if (this.stateValue !== 'live' && this.stateValue !== 'offline') this.goLive();
    // Acked once decoded: the server then paces itself to this browser (docs/protocol.md).
    this.decoder.push({ jpeg, seq: header.seq, receivedAt: header.receivedAt, done: ack });
  }

  private onMjpegLoaded(width: number, height: number): void {
    this.connections++;
    this.mjpegSize = { width, height };
    this.showMjpeg(true);
    this.goLive();
  }

  private onLost(): void {
    this.decoder.reset();
    // Its acks belong to the lost connection; the picture stays until the next one brings video.
    this.webcodecs.reset();
    clearTimeout(this.offlineTimer);
    if (this.mjpegSize) this.showMjpeg(false); // the <img> was emptied
    if (this.offline?.cause !== 'connection')
      this.goOffline({ cause: 'connection', since: Date.now(), reason: 'the server cannot be reached' });
  }

  private goLive(): void {
    this.offline = null;
    this.setState('live');
    const transport = this.connection.current;
    if (!this.onlineValue && transport) {
      this.onlineValue = true;
      dispatchPlayerEvent(this, 'online', { transport });
    }
  }

  private goOffline(offline: OfflineEventDetail): void {
    const same = this.offline?.cause === offline.cause && this.offline.since === offline.since;
    this.offline = offline;
    this.onlineValue = false;
    this.setState(offline.cause === 'camera' ? 'offline' : 'disconnected');
    if (!same) dispatchPlayerEvent(this, 'offline', offline);
  }

  private setState(state: PlayerState): void {
    this.stateValue = state;
    this.render();
  }

  private onActivity(active: boolean): void {
    clearTimeout(this.pauseTimer);
    if (!this.camera) return;
    if (!active) {
      this.paused = true;
      this.collector.breakSequence();
      // Paused over WebSocket, the camera still runs for us; past a while, let it go idle.
      if (this.connection.pause())
        this.pauseTimer = window.setTimeout(() => this.connection.stop(), PAUSE_DISCONNECT_MS);
      else if (this.mjpegSize) this.showMjpeg(false); // MJPEG cannot pause: its <img> was emptied
      this.render();
      return;
    }
    this.paused = false;
    this.connection.resume();
    this.render();
  }

  // ---- drawing ----

  /** The <img> replaces the canvas while MJPEG shows; the canvas then keeps no picture. */
  private showMjpeg(on: boolean): void {
    if (on) {
      this.presenter.clear();
      this.showVideo(false);
    } else this.mjpegSize = undefined;
    this.view.canvas.hidden = on || !this.view.video.hidden;
  }

  /** The <video> (MSE) replaces the canvas, or the canvas comes back. */
  private showVideo(on: boolean): void {
    if (on) this.presenter.clear();
    this.view.video.hidden = !on;
    this.view.canvas.hidden = on;
  }

  private onResize(entries: ResizeObserverEntry[]): void {
    const entry = entries[entries.length - 1];
    if (!entry) return;
    const ratio = window.devicePixelRatio || 1;
    const width = entry.contentRect.width * ratio;
    const height = entry.contentRect.height * ratio;
    const device = entry.devicePixelContentBoxSize?.[0];
    // Exact device pixels where the browser knows them; but some (emulated screens) report
    // CSS pixels there, so they are used only when they agree with the ratio.
    if (device && Math.abs(device.inlineSize - width) <= 2 && Math.abs(device.blockSize - height) <= 2)
      this.presenter.resize(device.inlineSize, device.blockSize);
    else this.presenter.resize(width, height);
  }

  private onPresented(frame: PresentedFrame): void {
    this.onShown(frame.seq, frame.receivedAt);
  }

  /** A picture reached the screen (canvas or video): stats, `frame` events, the overlay. */
  private onShown(seq: number, receivedAt: number): void {
    const now = wallNow();
    const local = Number.isFinite(receivedAt) ? this.connection.clock?.toLocal(receivedAt) : undefined;
    this.collector.framePresented(seq, now, local === undefined ? Number.NaN : now - local);
    if (!this.view.message.hidden) this.render();
    if (now - this.lastFrameEventAt >= 1000 / FRAME_EVENTS_PER_SECOND) {
      this.lastFrameEventAt = now;
      const s = this.stats;
      dispatchPlayerEvent(this, 'frame', {
        fps: s.fps,
        latencyMs: s.latencyMs,
        seq: s.seq,
        width: s.width,
        height: s.height,
        dropped: s.dropped,
      });
      if (this.showStats) this.view.stats.textContent = formatStats(s);
    }
  }

  private updateStatsVisibility(): void {
    const on = this.showStats;
    this.view.stats.hidden = !on;
    clearInterval(this.overlayTimer);
    this.overlayTimer = 0;
    if (on) {
      this.view.stats.textContent = formatStats(this.stats);
      // Frames update it too; this keeps it honest when they stop (fps falling to 0).
      this.overlayTimer = window.setInterval(() => (this.view.stats.textContent = formatStats(this.stats)), 1000);
    }
  }

  /** Shows the message for the state, over the picture only when the picture is stale. */
  private render(): void {
    const mse = this.activePath === 'mse' && !this.view.video.hidden;
    const picture = this.mjpegSize !== undefined || this.presenter.hasPicture || (mse && this.mse.hasPicture);
    const state = this.state;
    const noSignal = this.video && this.connection.current === 'ws';
    const text = stateMessage(state, this.camera !== '', noSignal);
    const show = text !== undefined && (!picture || state === 'disconnected' || state === 'offline');
    const { message, messageText, messageDetail, spinner } = this.view;
    message.hidden = !show;
    if (!show) return;
    messageText.textContent = text;
    const detail = state === 'offline' ? (this.offline?.reason ?? '') : '';
    messageDetail.textContent = detail;
    messageDetail.hidden = detail === '';
    spinner.hidden = state === 'idle' || state === 'offline';
    message.classList.toggle('over-picture', picture);
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
