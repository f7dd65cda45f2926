/**
 * One camera's live stream: owns its source, holds the latest frame, and fans
 * every frame out to the consumers subscribed to it.
 *
 * Lifecycle: idle → starting → online ⇄ offline → idle.
 * - The source starts when the first consumer subscribes (or at once when
 *   always_on) and stops `idleGraceMs` after the last one leaves.
 * - An ended or stalled source makes the camera offline: consumers get a
 *   NO SIGNAL placeholder about once a second and the source is restarted
 *   with backoff. The first frame that comes back makes it online again;
 *   consumers stay subscribed throughout.
 * Nothing runs (no timer, no child) while the camera is idle.
 */
import type { Logger } from 'pino';
import { fallbackPlaceholder, placeholderSize, type PlaceholderRenderer } from '../sources/ffmpeg/placeholder.js';
import { maskCredentials } from '../sources/credentials.js';
import { readJpegSize } from '../sources/framing/jpeg.js';
import type { FrameSource, SourceSink } from '../sources/source.js';
import { Backoff } from './backoff.js';
import { FpsMeter } from './fps-meter.js';
import type { CameraInfo, CameraState } from './camera-info.js';
import type { ViewerEvents } from './viewer-events.js';
import { preciseNow, type CameraStatus, type Consumer, type Frame, type ViewerStats } from './frame.js';

export type { CameraInfo, CameraState };

export interface CameraStreamOptions {
  id: string;
  name: string;
  /** Source kind for the API: testsrc, v4l2, rtsp, http, file, … */
  kind: string;
  alwaysOn: boolean;
  idleGraceMs: number;
  stallTimeoutMs: number;
  snapshotTimeoutMs: number;
  /** Size for the placeholder before any frame has told the real one. */
  expectedSize?: { width: number; height: number };
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  placeholderIntervalMs?: number;
}

export interface CameraCounters {
  /** Live frames received from the source (placeholders not counted). */
  frames: number;
  bytes: number;
  restarts: number;
  /** Offline time of outages that have ended, in ms (see offlineMs() for the total). */
  offlineMsEnded: number;
}

export class CameraStream {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly counters: CameraCounters = { frames: 0, bytes: 0, restarts: 0, offlineMsEnded: 0 };
  /** Where viewers' round trips and departures go (/metrics): set by the registry that holds the camera. */
  viewerEvents: ViewerEvents | undefined;

  private stateValue: CameraState = 'idle';
  private statusValue: CameraStatus;
  private readonly consumers = new Set<Consumer>();
  private seq = 0;
  private latestFrame: Frame | undefined;
  private latestLiveFrame: Frame | undefined;
  private readonly fpsMeter = new FpsMeter();
  private readonly backoff: Backoff;
  /** Identifies the current source run, so callbacks from a stopped run are ignored. */
  private run = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private placeholderTimer: NodeJS.Timeout | undefined;
  private placeholder: Promise<Buffer> | undefined;
  /** Tells the renderer the current picture is no longer wanted (it stops a render nobody else waits for). */
  private placeholderAbort: AbortController | undefined;
  /** Bumped to stop a placeholder ticker that may be awaiting its picture. */
  private placeholderTicker = 0;
  /** The newest failure and when (ms since the Unix epoch): kept, idle or not, until a frame comes. */
  private lastFailure: { reason: string; at: number } | undefined;
  private closed = false;

  constructor(
    private readonly options: CameraStreamOptions,
    private readonly source: FrameSource,
    private readonly renderPlaceholder: PlaceholderRenderer,
    private readonly log: Logger,
  ) {
    this.id = options.id;
    this.name = options.name;
    this.kind = options.kind;
    this.backoff = new Backoff(options.backoffInitialMs, options.backoffMaxMs);
    this.statusValue = { online: false, since: Date.now(), reason: 'not started' };
    if (options.alwaysOn) this.startSource();
  }

  get state(): CameraState {
    return this.stateValue;
  }

  get status(): CameraStatus {
    return this.statusValue;
  }

  /** The newest frame sent to consumers, live or placeholder. */
  get latest(): Frame | undefined {
    return this.latestFrame;
  }

  /**
   * The frame a viewer may be shown at once: the latest, unless the camera is
   * (re)starting from idle, when the latest is left over from an earlier run
   * and may be hours old.
   */
  get current(): Frame | undefined {
    return this.stateValue === 'online' || this.stateValue === 'offline' ? this.latestFrame : undefined;
  }

  /** The newest frame from the camera itself. */
  get latestLive(): Frame | undefined {
    return this.latestLiveFrame;
  }

  get consumerCount(): number {
    return this.consumers.size;
  }

  get size(): { width: number; height: number } | undefined {
    const f = this.latestLiveFrame;
    return f ? { width: f.width, height: f.height } : this.options.expectedSize;
  }

  get snapshotTimeoutMs(): number {
    return this.options.snapshotTimeoutMs;
  }

  /** Adds a consumer; returns the function that removes it. Starts the source if it is idle. */
  subscribe(consumer: Consumer): () => void {
    if (this.closed) throw new Error(`camera ${this.id} is closed`);
    this.consumers.add(consumer);
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.stateValue === 'idle') this.startSource();
    else if (this.stateValue === 'offline') this.startPlaceholderTicker();
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.removeConsumer(consumer);
      this.afterUnsubscribe();
    };
  }

  /** A viewer measured a round trip (ms), from its ack. */
  viewerRtt(ms: number): void {
    this.viewerEvents?.rtt(this.id, ms);
  }

  viewers(): ViewerStats[] {
    const out: ViewerStats[] = [];
    for (const c of this.consumers) {
      const s = c.stats?.();
      if (s) out.push(s);
    }
    return out;
  }

  /**
   * The camera's current live frame, or the next one within timeoutMs
   * (starting an on-demand camera for it). Undefined if none comes in time,
   * and at once while the camera is offline (failed, restarting with backoff):
   * its failure is known, and waiting would only delay the NO SIGNAL answer.
   */
  async liveFrame(timeoutMs = this.options.snapshotTimeoutMs): Promise<Frame | undefined> {
    if (this.stateValue === 'online' && this.latestLiveFrame) return this.latestLiveFrame;
    if (this.stateValue === 'offline') return undefined;
    return new Promise<Frame | undefined>((resolve) => {
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      const unsubscribe = this.subscribe({
        onFrame: (frame) => {
          if (!frame.placeholder) finish(frame);
        },
        onStatus: (status) => {
          if (!status.online) finish(undefined); // it failed while we waited
        },
      });
      function finish(frame: Frame | undefined): void {
        clearTimeout(timer);
        unsubscribe();
        resolve(frame);
      }
    });
  }

  /** The NO SIGNAL picture for the current outage, as a frame (not sent to anyone). */
  async placeholderFrame(): Promise<Frame> {
    const data = await this.currentPlaceholder().catch(() => fallbackPlaceholder());
    const size = readJpegSize(data) ?? this.placeholderSize();
    return { seq: this.seq, data, capturedAt: preciseNow(), width: size.width, height: size.height, placeholder: true };
  }

  fps(): number {
    return this.stateValue === 'online' ? Math.round(this.fpsMeter.fps(preciseNow()) * 10) / 10 : 0;
  }

  /** Total offline time in ms, the outage in progress included. */
  offlineMs(): number {
    const current = this.stateValue === 'offline' ? Date.now() - this.statusValue.since : 0;
    return this.counters.offlineMsEnded + current;
  }

  info(): CameraInfo {
    const size = this.latestLiveFrame ?? this.options.expectedSize;
    const offline = this.stateValue === 'offline';
    return {
      id: this.id,
      name: this.name,
      kind: this.kind,
      state: this.stateValue,
      online: this.stateValue === 'online',
      width: size?.width ?? null,
      height: size?.height ?? null,
      fps: this.fps(),
      viewerCount: this.viewers().length,
      lastFrameAt: this.latestLiveFrame ? Math.round(this.latestLiveFrame.capturedAt) : null,
      offlineSince: offline ? this.statusValue.since : null,
      offlineReason: offline ? (this.statusValue.reason ?? null) : null,
      lastError: this.lastFailure?.reason ?? null,
      lastErrorAt: this.lastFailure?.at ?? null,
      alwaysOn: this.options.alwaysOn,
    };
  }

  /** Stops the source and every timer; consumers are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    for (const consumer of this.consumers) this.removeConsumer(consumer);
    this.clearTimers();
    this.run++;
    await this.source.stop();
  }

  // ---- source lifecycle ----

  private startSource(): void {
    if (this.closed) return;
    const run = ++this.run;
    if (this.stateValue === 'idle')
      this.setState('starting', 'a consumer arrived' + (this.options.alwaysOn ? ' (always_on)' : ''));
    const sink: SourceSink = {
      frame: (jpeg) => {
        if (run === this.run) this.onSourceFrame(jpeg);
      },
      ended: (reason) => {
        if (run === this.run) this.onSourceFailure(reason);
      },
    };
    this.armStallTimer();
    this.source.start(sink);
  }

  private onSourceFrame(jpeg: Buffer): void {
    const size = readJpegSize(jpeg);
    if (!size) return; // not decodable as a picture: dropped like any other bad frame
    const now = preciseNow();
    this.counters.frames++;
    this.counters.bytes += jpeg.length;
    this.fpsMeter.tick(now);
    this.armStallTimer();
    if (this.stateValue !== 'online') this.goOnline();
    const frame: Frame = Object.freeze({
      seq: ++this.seq,
      data: jpeg,
      capturedAt: now,
      width: size.width,
      height: size.height,
      placeholder: false,
    });
    this.latestLiveFrame = frame;
    this.publish(frame);
  }

  private onSourceFailure(reason: string): void {
    this.run++; // whatever the old run still says is stale now
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.goOffline(reason);
    this.scheduleRestart();
  }

  private armStallTimer(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      const seconds = this.options.stallTimeoutMs / 1000;
      const reason =
        this.stateValue === 'starting' || this.stateValue === 'offline'
          ? `no first frame within ${seconds}s`
          : `stalled: no frame for ${seconds}s`;
      this.run++;
      void this.source.stop();
      this.goOffline(reason);
      this.scheduleRestart();
    }, this.options.stallTimeoutMs);
  }

  private scheduleRestart(): void {
    if (this.closed) return;
    const delay = this.backoff.next();
    this.log.info({ camera: this.id, delayMs: delay }, 'camera restart scheduled');
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => this.restart(), delay);
  }

  /**
   * The source can work again (a relayed camera's edge is back): restart now
   * rather than wait out the backoff. Only an offline camera waiting for its
   * restart is affected.
   */
  retryNow(): void {
    if (this.closed || this.stateValue !== 'offline' || !this.restartTimer) return;
    clearTimeout(this.restartTimer);
    this.backoff.reset();
    this.restart();
  }

  private restart(): void {
    this.restartTimer = undefined;
    if (!this.hasDemand()) {
      void this.goIdle(); // nobody wants it any more; the next consumer starts it afresh
      return;
    }
    this.counters.restarts++;
    void this.source.stop().then(() => {
      if (this.stateValue === 'offline' && !this.closed && this.hasDemand()) this.startSource();
    });
  }

  private hasDemand(): boolean {
    return this.options.alwaysOn || this.consumers.size > 0;
  }

  private afterUnsubscribe(): void {
    if (this.closed || this.hasDemand()) return;
    this.stopPlaceholderTicker();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.hasDemand()) void this.goIdle();
    }, this.options.idleGraceMs);
  }

  private async goIdle(): Promise<void> {
    this.run++;
    this.clearTimers();
    if (this.stateValue === 'offline') this.counters.offlineMsEnded += Date.now() - this.statusValue.since;
    this.setState('idle', `no consumers for ${this.options.idleGraceMs / 1000}s`);
    this.statusValue = { online: false, since: Date.now(), reason: 'idle' };
    this.fpsMeter.clear();
    this.backoff.reset();
    await this.source.stop();
  }

  private goOnline(): void {
    const wasOffline = this.stateValue === 'offline';
    if (wasOffline) this.counters.offlineMsEnded += Date.now() - this.statusValue.since;
    this.backoff.reset();
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.stopPlaceholderTicker();
    this.dropPlaceholder();
    this.lastFailure = undefined;
    this.setState('online', wasOffline ? 'frames are back' : 'first frame');
    this.statusValue = { online: true, since: Date.now() };
    this.notifyStatus();
  }

  private goOffline(rawReason: string): void {
    // Reasons reach viewers and the log: no URL credentials, whichever source (a relay edge too) wrote them.
    const reason = maskCredentials(rawReason);
    this.lastFailure = { reason, at: Date.now() };
    if (this.stateValue === 'offline') {
      this.log.warn({ camera: this.id, reason }, 'camera restart failed');
      return;
    }
    this.fpsMeter.clear();
    this.setState('offline', reason);
    this.statusValue = { online: false, since: Date.now(), reason };
    this.dropPlaceholder();
    this.notifyStatus();
    this.startPlaceholderTicker();
  }

  private setState(state: CameraState, reason: string): void {
    if (state === this.stateValue) return;
    const from = this.stateValue;
    this.stateValue = state;
    const level = state === 'offline' ? 'warn' : 'info';
    this.log[level]({ camera: this.id, from, to: state, reason }, `camera ${state}`);
  }

  // ---- fan-out ----

  private publish(frame: Frame): void {
    this.latestFrame = frame;
    for (const consumer of this.consumers) {
      try {
        consumer.onFrame(frame);
      } catch (err) {
        // One broken consumer must not take the others down.
        this.log.error({ camera: this.id, err }, 'consumer failed on a frame; dropping it');
        this.removeConsumer(consumer);
      }
    }
  }

  /** Takes a consumer out; a viewer's final counts go to the metrics. */
  private removeConsumer(consumer: Consumer): void {
    if (!this.consumers.delete(consumer) || !consumer.stats || !this.viewerEvents) return;
    let stats: ViewerStats;
    try {
      stats = consumer.stats();
    } catch {
      return; // a broken consumer: its counts are lost, not the camera
    }
    this.viewerEvents.left(this.id, stats);
  }

  private notifyStatus(): void {
    for (const consumer of this.consumers) {
      try {
        consumer.onStatus?.(this.statusValue);
      } catch (err) {
        this.log.error({ camera: this.id, err }, 'consumer failed on a status; dropping it');
        this.removeConsumer(consumer);
      }
    }
  }

  // ---- placeholder while offline ----

  private placeholderSize(): { width: number; height: number } {
    // Capped: the size comes from the camera's (or an edge's) frame headers.
    const size = this.size;
    return size ? placeholderSize(size.width, size.height) : { width: 640, height: 360 };
  }

  private currentPlaceholder(): Promise<Buffer> {
    if (!this.placeholder) {
      const size = this.placeholderSize();
      this.placeholderAbort = new AbortController();
      this.placeholder = this.renderPlaceholder(size, this.placeholderAbort.signal);
    }
    return this.placeholder;
  }

  private dropPlaceholder(): void {
    this.placeholderAbort?.abort();
    this.placeholderAbort = undefined;
    this.placeholder = undefined;
  }

  private startPlaceholderTicker(): void {
    if (this.placeholderTimer || this.consumers.size === 0) return;
    const ticker = ++this.placeholderTicker;
    const interval = this.options.placeholderIntervalMs ?? 1000;
    const tick = async (): Promise<void> => {
      const data = await this.currentPlaceholder().catch(() => undefined); // undefined: dropped meanwhile
      if (ticker !== this.placeholderTicker || this.stateValue !== 'offline') return;
      const size = (data && readJpegSize(data)) ?? this.placeholderSize(); // the grey stand-in has its own size
      if (data) {
        const { width, height } = size;
        const seq = ++this.seq;
        this.publish(Object.freeze({ seq, data, capturedAt: preciseNow(), width, height, placeholder: true }));
      }
      this.placeholderTimer = setTimeout(() => void tick(), interval);
    };
    // The first placeholder goes out at once, then about once a second.
    this.placeholderTimer = setTimeout(() => void tick(), 0);
  }

  private stopPlaceholderTicker(): void {
    this.placeholderTicker++;
    clearTimeout(this.placeholderTimer);
    this.placeholderTimer = undefined;
  }

  private clearTimers(): void {
    this.stopPlaceholderTicker();
    this.dropPlaceholder();
    for (const t of [this.idleTimer, this.stallTimer, this.restartTimer]) clearTimeout(t);
    this.idleTimer = this.stallTimer = this.restartTimer = undefined;
  }
}
