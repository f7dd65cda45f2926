/**
 * A camera's source lifecycle: idle → starting → online ⇄ offline → idle.
 * Starts the source on demand, stops it `idleGraceMs` after demand ends,
 * notices stalls (no unit for `stallTimeoutMs`) and ends, and restarts with
 * backoff. The first unit of a run gets its own, longer allowance
 * (`firstFrameTimeoutMs`): a source may first have to ask the camera what it
 * sends and ffmpeg to find the stream's parameters, seconds for a live MPEG-TS
 * stream that must wait for a keyframe. It knows nothing of consumers or tracks: the camera tells it about
 * demand and hears about units and state changes through its hooks.
 */
import type { Logger } from 'pino';
import { maskCredentials } from '../sources/credentials.js';
import type { SourceAudioUnit, SourceSink, SourceUnit } from '../media/index.js';
import type { FrameSource } from '../sources/source.js';
import { Backoff } from './backoff.js';
import type { CameraState } from './camera-info.js';
import { preciseNow, type CameraStatus } from './consumer.js';
import { FpsMeter } from './fps-meter.js';

export interface SupervisorOptions {
  id: string;
  alwaysOn: boolean;
  idleGraceMs: number;
  stallTimeoutMs: number;
  /** How long a run may take to give its first unit. Default: stallTimeoutMs, at least FIRST_FRAME_TIMEOUT_MS. */
  firstFrameTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

/**
 * The least time a run gets for its first unit: a probe (up to 15 s for an unanswering camera, ~6 s for a
 * live MPEG-TS stream joined between keyframes) and then the capture's own look at the stream.
 */
export const FIRST_FRAME_TIMEOUT_MS = 30_000;
/** The frame rate is read from this long after the first unit on: a capture may hand over what it buffered at once. */
const FPS_SETTLE_MS = 1000;

export interface SupervisorHooks {
  /** Some consumer wants the camera. */
  hasDemand(): boolean;
  /** A unit of the current run, stamped with its receive time. */
  unit(unit: SourceUnit, capturedAt: number): void;
  /** An audio unit of the current run, with its arrival time (audio neither counts as frames nor keeps the camera online). */
  audio?(unit: SourceAudioUnit, arrival: number): void;
  /** A new run of the source begins. */
  runStarted?(): void;
  /** The state changed to online, offline or idle (status already updated). */
  changed(state: CameraState): void;
}

export interface CameraCounters {
  /** Live access units received from the source (placeholders not counted). */
  frames: number;
  bytes: number;
  restarts: number;
  /** Offline time of outages that have ended, in ms (see offlineMs() for the total). */
  offlineMsEnded: number;
}

export class SourceSupervisor {
  readonly counters: CameraCounters = { frames: 0, bytes: 0, restarts: 0, offlineMsEnded: 0 };
  private stateValue: CameraState = 'idle';
  private statusValue: CameraStatus = { online: false, since: Date.now(), reason: 'not started' };
  private readonly fpsMeter = new FpsMeter();
  private readonly backoff: Backoff;
  /** Identifies the current source run, so callbacks from a stopped run are ignored. */
  private run = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /** The newest failure and when (ms since the Unix epoch): kept, idle or not, until a unit comes. */
  private lastFailure: { reason: string; at: number } | undefined;
  private closed = false;
  /** Whether the current run has given a unit (its stall allowance is stallTimeoutMs from then on). */
  private runGaveUnit = false;
  /** Units before this time (ms, preciseNow) do not count in the frame rate. */
  private fpsFrom = 0;

  constructor(
    private readonly options: SupervisorOptions,
    private readonly source: FrameSource,
    private readonly hooks: SupervisorHooks,
    private readonly log: Logger,
  ) {
    this.backoff = new Backoff(options.backoffInitialMs, options.backoffMaxMs);
  }

  get state(): CameraState {
    return this.stateValue;
  }

  get status(): CameraStatus {
    return this.statusValue;
  }

  get failure(): { reason: string; at: number } | undefined {
    return this.lastFailure;
  }

  /** Starts an always_on camera; call once the camera is ready for units. */
  init(): void {
    if (this.options.alwaysOn) this.startSource();
  }

  /** A consumer arrived: cancel a pending idle, start an idle source. */
  wanted(): void {
    if (this.closed) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.stateValue === 'idle') this.startSource();
  }

  /** A consumer left: with no demand left, the source stops after the idle grace. */
  unwanted(): void {
    if (this.closed || this.hooks.hasDemand()) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.hooks.hasDemand()) void this.goIdle();
    }, this.options.idleGraceMs);
  }

  fps(): number {
    return this.stateValue === 'online' ? Math.round(this.fpsMeter.fps(preciseNow()) * 10) / 10 : 0;
  }

  /** Total offline time in ms, the outage in progress included. */
  offlineMs(): number {
    const current = this.stateValue === 'offline' ? Date.now() - this.statusValue.since : 0;
    return this.counters.offlineMsEnded + current;
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

  async close(): Promise<void> {
    this.closed = true;
    this.clearTimers();
    this.run++;
    await this.source.stop();
  }

  private startSource(): void {
    if (this.closed) return;
    const run = ++this.run;
    if (this.stateValue === 'idle')
      this.setState('starting', 'a consumer arrived' + (this.options.alwaysOn ? ' (always_on)' : ''));
    const sink: SourceSink = {
      unit: (unit) => {
        if (run === this.run) this.onUnit(unit);
      },
      audio: (unit) => {
        if (run === this.run) this.hooks.audio?.(unit, preciseNow());
      },
      ended: (reason) => {
        if (run === this.run) this.onFailure(reason);
      },
    };
    this.runGaveUnit = false;
    this.armStallTimer();
    this.hooks.runStarted?.();
    this.source.start(sink);
  }

  private onUnit(unit: SourceUnit): void {
    const now = preciseNow();
    this.counters.frames++;
    this.counters.bytes += unit.data.length;
    if (!this.runGaveUnit) {
      this.runGaveUnit = true;
      // What a capture buffered while it looked at the stream comes at once: no frame rate from that burst.
      this.fpsFrom = now + FPS_SETTLE_MS;
      this.fpsMeter.clear();
    }
    if (now >= this.fpsFrom) this.fpsMeter.tick(now);
    this.armStallTimer();
    if (this.stateValue !== 'online') this.goOnline();
    // A relayed unit carries the edge's capture time (on this clock): the latency reference includes the uplink.
    this.hooks.unit(unit, unit.capturedAt ?? now);
  }

  private onFailure(reason: string): void {
    this.run++; // whatever the old run still says is stale now
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.goOffline(reason);
    this.scheduleRestart();
  }

  private firstFrameTimeoutMs(): number {
    return this.options.firstFrameTimeoutMs ?? Math.max(this.options.stallTimeoutMs, FIRST_FRAME_TIMEOUT_MS);
  }

  private armStallTimer(): void {
    clearTimeout(this.stallTimer);
    const first = !this.runGaveUnit;
    const timeoutMs = first ? this.firstFrameTimeoutMs() : this.options.stallTimeoutMs;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      const seconds = timeoutMs / 1000;
      const reason = first ? `no first frame within ${seconds}s` : `stalled: no frame for ${seconds}s`;
      this.run++;
      void this.source.stop();
      this.goOffline(reason);
      this.scheduleRestart();
    }, timeoutMs);
  }

  private scheduleRestart(): void {
    if (this.closed) return;
    const delay = this.backoff.next();
    this.log.info({ camera: this.options.id, delayMs: delay }, 'camera restart scheduled');
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => this.restart(), delay);
  }

  private restart(): void {
    this.restartTimer = undefined;
    if (!this.hooks.hasDemand()) {
      void this.goIdle(); // nobody wants it any more; the next consumer starts it afresh
      return;
    }
    this.counters.restarts++;
    void this.source.stop().then(() => {
      if (this.stateValue === 'offline' && !this.closed && this.hooks.hasDemand()) this.startSource();
    });
  }

  private async goIdle(): Promise<void> {
    this.run++;
    this.clearTimers();
    if (this.stateValue === 'offline') this.counters.offlineMsEnded += Date.now() - this.statusValue.since;
    this.setState('idle', `no consumers for ${this.options.idleGraceMs / 1000}s`);
    this.statusValue = { online: false, since: Date.now(), reason: 'idle' };
    this.fpsMeter.clear();
    this.backoff.reset();
    this.hooks.changed('idle');
    await this.source.stop();
  }

  private goOnline(): void {
    const wasOffline = this.stateValue === 'offline';
    if (wasOffline) this.counters.offlineMsEnded += Date.now() - this.statusValue.since;
    this.backoff.reset();
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.lastFailure = undefined;
    this.setState('online', wasOffline ? 'frames are back' : 'first frame');
    this.statusValue = { online: true, since: Date.now() };
    this.hooks.changed('online');
  }

  private goOffline(rawReason: string): void {
    // Reasons reach viewers and the log: no URL credentials, whichever source (a relay edge too) wrote them.
    const reason = maskCredentials(rawReason);
    this.lastFailure = { reason, at: Date.now() };
    if (this.stateValue === 'offline') {
      this.log.warn({ camera: this.options.id, reason }, 'camera restart failed');
      return;
    }
    this.fpsMeter.clear();
    this.setState('offline', reason);
    this.statusValue = { online: false, since: Date.now(), reason };
    this.hooks.changed('offline');
  }

  private setState(state: CameraState, reason: string): void {
    if (state === this.stateValue) return;
    const from = this.stateValue;
    this.stateValue = state;
    const level = state === 'offline' ? 'warn' : 'info';
    this.log[level]({ camera: this.options.id, from, to: state, reason }, `camera ${state}`);
  }

  private clearTimers(): void {
    for (const t of [this.idleTimer, this.stallTimer, this.restartTimer]) clearTimeout(t);
    this.idleTimer = this.stallTimer = this.restartTimer = undefined;
  }
}
