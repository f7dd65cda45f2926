/**
 * <camrelay-player src="http://host:8080" camera="front" [token] [stats] [fit="contain|cover"]
 *                  [transport="auto|ws|mjpeg"] [path="auto|webcodecs|mse|jpeg"]
 *                  [quality="auto|main|sub|keyframes"] [muted]>
 *
 * Plays one camera. Over WebSocket (protocol v1) it asks for H.264 (H.265 where the browser
 * decodes it) where the browser can decode it: with WebCodecs (secure contexts), drawn on a
 * canvas, or else with Media Source Extensions in a <video>; JPEG otherwise, or when the server
 * sends JPEG anyway (createImageBitmap, latest wins, on the canvas). It measures fps and
 * capture→display latency as it goes. Where WebSocket can't be used it shows the MJPEG stream in
 * an <img>. It reconnects with backoff, and stops receiving while hidden or scrolled away. Unless `muted`,
 * an H.264/H.265 player asks for the camera's audio too and plays it (webaudio-output.ts beside WebCodecs,
 * mse-audio-output.ts beside MSE); muting or unmuting reconnects.
 *
 * This file is the wiring: attributes, the connection, the current decoder, the overlay. Getting
 * the video (connection.ts), whether the camera is live (liveness.ts), which path to decode with
 * and which next when one fails (path.ts, fallback.ts), decoding (decoder.ts: the interface;
 * jpeg-decoder.ts, webcodecs-decoder.ts, mse-decoder.ts), drawing (presenter.ts), measuring
 * (stats.ts) and visibility (activity.ts) are their own modules.
 */
import { ActivityWatcher } from './activity.js';
import type { AudioOutput } from './audio-output.js';
import { wallNow } from './clock.js';
import { Connection, type TransportChoice } from './connection.js';
import type { Decoder, DecoderEvents } from './decoder.js';
import { dispatchPlayerEvent } from './events.js';
import { PathFallback } from './fallback.js';
import { JpegDecoder } from './jpeg-decoder.js';
import { Liveness } from './liveness.js';
import type { TrackConfig } from './media.js';
import { MseAudioOutput } from './mse-audio-output.js';
import { MseDecoder } from './mse-decoder.js';
import { formatStats, stateMessage } from './overlay.js';
import { parsePathChoice, type PathChoice, type PlaybackPath } from './path.js';
import { CanvasPresenter } from './presenter.js';
import {
  CODEC_H264,
  CODEC_H265,
  FLAG_KEYFRAME,
  type FrameHeader,
  type HelloMessage,
  type QualityMessage,
} from './protocol.js';
import { StatsCollector } from './stats.js';
import { Surfaces } from './surfaces.js';
import type { Fit, PlayerState, PlayerStats, QualityChoice, QualityEventDetail } from './types.js';
import { snapshotUrl, type Endpoint } from './urls.js';
import { buildView, type PlayerView } from './view.js';
import { WebAudioOutput } from './webaudio-output.js';
import { WebCodecsDecoder } from './webcodecs-decoder.js';

/** At most this many `frame` events (and overlay updates) per second. */
const FRAME_EVENTS_PER_SECOND = 4;
/** Hidden longer than this: the connection is closed so an unwatched camera can stop. */
const PAUSE_DISCONNECT_MS = 30_000;

export class CamrelayPlayer extends HTMLElement {
  static readonly observedAttributes = [
    'src',
    'camera',
    'token',
    'transport',
    'path',
    'fit',
    'stats',
    'quality',
    'muted',
  ];

  private readonly view: PlayerView;
  private readonly presenter: CanvasPresenter;
  private readonly surfaces: Surfaces;
  /** One decoder per path, made once (the MSE one holds the <video>); one of them is current. */
  private readonly decoders: Record<PlaybackPath, Decoder> & { mse: MseDecoder };
  private readonly connection: Connection;
  private readonly liveness: Liveness;
  private readonly fallback = new PathFallback();
  private readonly collector = new StatsCollector();
  private readonly activity: ActivityWatcher;
  private readonly resizeObserver: ResizeObserver;

  /** The audio of this connection (unmuted H.264/H.265 only): the current path's output. */
  private audio: AudioOutput | null = null;
  private readonly audioOutputs: Partial<Record<PlaybackPath, AudioOutput>> = {};
  /** The decoder of this connection's stream, from its hello (null before, and over MJPEG). */
  private current: Decoder | null = null;
  /** Hidden or off-screen (see onActivity). */
  private paused = false;
  private connections = 0;
  private pauseTimer = 0;
  private overlayTimer = 0;
  private restartQueued = false;
  /** Between connectedCallback and disconnectedCallback. */
  private started = false;
  private lastFrameEventAt = 0;
  /** The path asked of the server at the last restart (H.264 or H.265 unless 'jpeg'). */
  private wantedPath: PlaybackPath = 'jpeg';
  /** What the server sends on this connection (from hello). */
  private codec: 'h264' | 'h265' | 'jpeg' | null = null;
  /** H.264: what the server says this connection gets, and why. */
  private qualityValue: QualityEventDetail | null = null;

  constructor() {
    super();
    this.view = buildView(this);
    this.presenter = new CanvasPresenter(this.view.canvas, {
      presented: (frame) => this.onShown(frame.seq, frame.capturedAt),
      dropped: () => this.collector.dropped++,
      due: (pts) => this.audio?.due?.(pts),
    });
    this.surfaces = new Surfaces(this.view, this.presenter);
    this.decoders = {
      jpeg: new JpegDecoder(this.presenter, this.decoderEvents('jpeg')),
      webcodecs: new WebCodecsDecoder(this.presenter, this.decoderEvents('webcodecs')),
      mse: new MseDecoder(this.view.video, this.decoderEvents('mse')),
    };
    this.liveness = new Liveness({
      changed: () => this.render(),
      online: () => {
        const transport = this.connection.current;
        if (transport) dispatchPlayerEvent(this, 'online', { transport });
      },
      offline: (detail) => dispatchPlayerEvent(this, 'offline', detail),
    });
    this.connection = new Connection(this.view.img, {
      hello: (message) => this.onHello(message),
      status: (message) => this.liveness.status(message, this.video),
      frame: (header, jpeg, ack) => this.onFrame(header, jpeg, ack),
      config: (config) => this.onConfig(config),
      video: (header, unit, ack) => this.onVideo(header, unit, ack),
      quality: (message) => this.onQuality(message),
      audioConfig: (config) => this.audio?.configure(config),
      audio: (header, data) => this.audio?.push(header.pts, header.samples, data),
      mjpegLoaded: (width, height) => this.onMjpegLoaded(width, height),
      lost: () => this.onLost(),
      error: (message) => this.reportError(message),
    });
    this.activity = new ActivityWatcher(this, (active) => this.onActivity(active));
    this.resizeObserver = new ResizeObserver((entries) => this.surfaces.resized(entries));
  }

  /** What a path's decoder reports, into the stats and the fallback; a decoder no longer current is not heard. */
  private decoderEvents(path: PlaybackPath): DecoderEvents {
    return {
      decoded: () => {
        this.collector.decoded++;
        if (this.current?.path === path) this.fallback.succeeded();
      },
      shown: (frame, skipped) => {
        this.collector.skipped += skipped;
        this.onShown(frame.seq, frame.capturedAt);
      },
      skipped: () => this.collector.skipped++,
      dropped: () => this.collector.dropped++,
      jumped: () => this.collector.liveJumps++,
      failed: (error) => this.onDecoderFailed(path, error),
    };
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
   * changed live by the server; `main`, `sub` (the camera's smaller stream), `low` (smaller still), `keyframes`.
   */
  get quality(): QualityChoice {
    const value = this.getAttribute('quality');
    return value === 'main' || value === 'sub' || value === 'low' || value === 'keyframes' ? value : 'auto';
  }
  set quality(value: QualityChoice) {
    this.setAttribute('quality', value);
  }

  /** The `muted` attribute: no audio is asked for (grid tiles; browsers' autoplay rules). */
  get muted(): boolean {
    return this.hasAttribute('muted');
  }
  set muted(on: boolean) {
    this.toggleAttribute('muted', on);
  }

  /** How much audio was decoded on this connection: AudioDecoder outputs (WebCodecs) or bytes (MSE); 0 muted. */
  get audioDecoded(): number {
    return this.audio?.decoded ?? 0;
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
    const state = this.liveness.state;
    return this.paused && state !== 'idle' ? 'paused' : state;
  }

  /** The camera's latest picture as a JPEG URL, token included (for a download link). */
  get snapshotUrl(): string {
    return snapshotUrl(this.endpoint());
  }

  /** What the player measured, computed now. */
  get stats(): PlayerStats {
    const mjpeg = this.connection.current === 'mjpeg';
    return this.collector.snapshot(wallNow(), {
      state: this.state,
      online: this.liveness.online,
      offline: this.liveness.offline,
      transport: this.connection.current,
      path: mjpeg ? 'jpeg' : (this.current?.path ?? null),
      codec: this.codec,
      quality: this.qualityValue,
      size: mjpeg
        ? (this.surfaces.mjpegSize ?? { width: 0, height: 0 })
        : (this.current?.pictureSize ?? this.presenter.pictureSize),
      decodeMs: this.current?.decodeTimeMs ?? 0,
      clock: this.connection.clock,
      connections: this.connections,
    });
  }

  /** The server sends H.264 or H.265 (decoded by the path asked for), not JPEG. */
  private get video(): boolean {
    return this.codec === 'h264' || this.codec === 'h265';
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
    this.useDecoder(null);
    this.useAudio(null);
    this.codec = null;
    // Timers hold the element: left running, a removed player would never be collected.
    clearTimeout(this.pauseTimer);
    clearInterval(this.overlayTimer);
    this.overlayTimer = 0;
    this.paused = false;
    this.presenter.clear();
    this.liveness.stop();
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
        this.fallback.forget();
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

  // ---- the connection and the current decoder ----

  private endpoint(): Endpoint {
    return { src: this.src, camera: this.camera, token: this.token };
  }

  /** Starts over with a new connection; `newPicture` blanks the old camera's picture. */
  private restart(newPicture: boolean): void {
    this.connection.stop();
    this.useDecoder(null);
    this.useAudio(null);
    this.codec = null;
    this.qualityValue = null;
    this.fallback.succeeded();
    this.surfaces.showVideo(false);
    clearTimeout(this.pauseTimer);
    this.surfaces.showMjpeg(undefined);
    if (newPicture) this.presenter.clear();
    this.presenter.fit = this.fit;
    this.collector.breakSequence();
    this.liveness.reset(this.camera ? 'connecting' : 'idle');
    if (!this.camera) return;
    // Off-screen, it connects when it comes into view (onActivity).
    this.paused = !this.activity.active;
    this.wantedPath = this.fallback.pick(this.path);
    this.connection.start(
      this.endpoint(),
      this.transport,
      !this.paused,
      this.wantedPath,
      this.quality,
      !this.muted && this.wantedPath !== 'jpeg',
    );
    this.render();
  }

  /** Makes `decoder` the current one (a fresh start for it), letting go of the last one's stream. */
  private useDecoder(decoder: Decoder | null): void {
    this.current?.reset();
    this.current = decoder;
    decoder?.reset();
  }

  /** Makes `output` the current audio (a fresh start for it), stopping the last one. */
  private useAudio(output: AudioOutput | null): void {
    this.audio?.reset();
    this.audio = output;
    output?.reset();
  }

  /** The audio beside a video path, made when first needed (JPEG has none). */
  private audioOutput(path: PlaybackPath): AudioOutput | null {
    if (path === 'jpeg') return null;
    const failed = (error: unknown): void =>
      this.reportError(`audio: ${error instanceof Error ? error.message : String(error)}`);
    return (this.audioOutputs[path] ??=
      path === 'mse' ? new MseAudioOutput(this.decoders.mse, failed) : new WebAudioOutput(failed));
  }

  private onHello(message: HelloMessage): void {
    this.connections++;
    this.collector.breakSequence();
    this.surfaces.showMjpeg(undefined);
    // A server that does not know H.264 (or chose JPEG) sends JPEG: the JPEG path then.
    const codec = message.codec === 'h264' || message.codec === 'h265' ? message.codec : 'jpeg';
    this.codec = this.wantedPath !== 'jpeg' ? codec : 'jpeg';
    // A new connection: its config and first keyframe come next.
    this.useDecoder(this.decoders[this.video ? this.wantedPath : 'jpeg']);
    this.surfaces.showVideo(this.current?.surface === 'video');
    this.useAudio(this.video && !this.muted ? this.audioOutput(this.wantedPath) : null);
    this.liveness.hello();
  }

  /** The server says which stream follows: the next config (another size) and keyframe come with it. */
  private onQuality(message: QualityMessage): void {
    if (this.codec !== 'h264') return;
    const detail = { quality: message.quality, reason: message.reason };
    this.qualityValue = detail;
    dispatchPlayerEvent(this, 'quality', detail);
    if (this.showStats) this.view.stats.textContent = formatStats(this.stats);
  }

  private onConfig(config: TrackConfig): void {
    if (this.video) this.current?.configure(config);
  }

  /** An H.264 (H.265) access unit: only live video comes this way, so it means the camera is live. */
  private onVideo(header: FrameHeader, unit: Uint8Array, ack: () => void): void {
    const codec = this.codec;
    if (codec === null || codec === 'jpeg' || header.codec !== (codec === 'h265' ? CODEC_H265 : CODEC_H264))
      return ack();
    this.collector.frameReceived(header.seq);
    this.collector.bytesReceived(unit.byteLength, wallNow());
    this.liveness.video();
    const keyframe = (header.flags & FLAG_KEYFRAME) !== 0;
    const access = {
      codec,
      data: unit,
      keyframe,
      seq: header.seq,
      capturedAt: header.capturedAt,
      compositionOffset: header.compositionOffset ?? 0,
      ...(header.dts === undefined ? {} : { pts: (header.dts + (header.compositionOffset ?? 0)) >>> 0 }),
      done: ack,
    };
    if (this.current) this.current.push(access);
    else ack();
  }

  private onFrame(header: FrameHeader, jpeg: Blob, ack: () => void): void {
    this.collector.frameReceived(header.seq);
    this.collector.bytesReceived(jpeg.size, wallNow());
    this.liveness.jpegPicture();
    // Acked once decoded: the server then paces itself to this browser (docs/protocol.md).
    const picture = { codec: 'jpeg', jpeg, seq: header.seq, capturedAt: header.capturedAt, done: ack } as const;
    if (this.current) this.current.push(picture);
    else ack();
  }

  /**
   * A decoder failed. JPEG's failures are counted only; a video path's that keep failing without
   * a picture between give the path up for the next one (fallback.ts), on a new connection.
   */
  private onDecoderFailed(path: PlaybackPath, error: unknown): void {
    this.collector.errors++;
    if (path === 'jpeg' || this.current?.path !== path) return;
    const message = error instanceof Error ? error.message : String(error);
    this.reportError(`${path} decoder: ${message}`);
    if (!this.fallback.failed(path)) return;
    this.reportError(`the ${path} path keeps failing; trying ${this.fallback.pick(this.path)}`);
    queueMicrotask(() => {
      if (this.started) this.restart(false);
    });
  }

  private onMjpegLoaded(width: number, height: number): void {
    this.connections++;
    // MJPEG needs no decoder: the <img> shows it.
    this.useDecoder(null);
    this.surfaces.showMjpeg({ width, height });
    this.liveness.mjpegLoaded();
  }

  private onLost(): void {
    // Its acks belong to the lost connection; the picture stays until the next one brings video.
    this.current?.connectionLost();
    if (this.surfaces.mjpegSize) this.surfaces.showMjpeg(undefined); // the <img> was emptied
    this.liveness.lost();
  }

  private reportError(message: string): void {
    dispatchPlayerEvent(this, 'error', { message, transport: this.connection.current });
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
      else if (this.surfaces.mjpegSize) this.surfaces.showMjpeg(undefined); // MJPEG cannot pause: its <img> was emptied
      this.render();
      return;
    }
    this.paused = false;
    this.connection.resume();
    this.render();
  }

  // ---- the overlay ----

  /** A picture reached the screen (canvas or video): stats, `frame` events, the overlay. */
  private onShown(seq: number, capturedAt: number): void {
    const now = wallNow();
    const local = Number.isFinite(capturedAt) ? this.connection.clock?.toLocal(capturedAt) : undefined;
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
    const picture =
      this.surfaces.mjpegSize !== undefined || this.presenter.hasPicture || (this.current?.hasPicture ?? false);
    const state = this.state;
    const noSignal = this.video && this.connection.current === 'ws';
    const text = stateMessage(state, this.camera !== '', noSignal);
    const show = text !== undefined && (!picture || state === 'disconnected' || state === 'offline');
    const { message, messageText, messageDetail, spinner } = this.view;
    message.hidden = !show;
    if (!show) return;
    messageText.textContent = text;
    const detail = state === 'offline' ? (this.liveness.offline?.reason ?? '') : '';
    messageDetail.textContent = detail;
    messageDetail.hidden = detail === '';
    spinner.hidden = state === 'idle' || state === 'offline';
    message.classList.toggle('over-picture', picture);
  }
}
