/**
 * A track the camera does not produce itself (h264 of a JPEG or H.265 camera,
 * jpeg of an H.264 or H.265 camera): one transcoder per camera feeds it from the native track,
 * running only while the derived track has consumers (stopped after the idle
 * grace), restarted with backoff if it ends, and restarted when the native
 * configuration changes (the camera came back at another size).
 *
 * A restart never overlaps: the old process is awaited before a new one starts. Restarts for a new
 * configuration are spaced out (none for the first after a quiet spell, then 250 ms doubling to 10 s),
 * so a source whose configuration changes on every frame costs one process at a time, restarted
 * rarely; a configuration that arrives while a restart waits simply replaces the one waiting (the
 * next keyframe after the wait starts the transcoder). Each run holds a slot of the hub-wide pool
 * (transcoder-slots.ts), given back once its process has exited; without a free slot the track waits.
 */
import type { Logger } from 'pino';
import type { AccessUnit, Codec, TrackConfig, SourceSink, SourceUnit } from '../media/index.js';
import { Backoff } from './backoff.js';
import type { TranscoderPool } from './transcoder-slots.js';
import { preciseNow } from './consumer.js';
import { ProcessCpu } from './process-cpu.js';
import { shouldRetune, type RungQuality } from './rungs.js';
import type { Producer } from './producer.js';
import type { Track } from './track.js';

/** What src/ffmpeg/transcoder.ts provides. push() never blocks: it drops, counted. */
export interface Transcoder {
  start(sink: SourceSink): void;
  push(unit: SourceUnit): void;
  stop(): Promise<void>;
  /** Its running process's pid, for its CPU time (read when asked, never per unit). */
  readonly pid?: number | undefined;
  /** To H.264: the encoder in use (what `auto` chose), once known. */
  readonly encoderInUse?: string | undefined;
}

/**
 * What a transcoder takes: the native track's codec; `rung`: it makes one of the smaller H.264 streams
 * (rungs.ts), from input pictures of `size`, at about `kbps` (the factory may hold it lower still).
 */
export interface TranscoderInput {
  from: Codec;
  rung?: { quality: RungQuality; kbps: number; size: { width: number; height: number } };
}

/** What a rung's track asks of its transcoder now: kbit/s, and whether a measure of the stream above said so. */
export interface RungTarget {
  quality: RungQuality;
  target: () => { kbps: number; measured: boolean };
}

/** Makes a transcoder from `input.from` to `to` (JPEGs encoded, H.264 or H.265 decoded). */
export type TranscoderFactory = (to: Codec, input: TranscoderInput) => Transcoder;

/** Restarts for a new configuration after this long without one start afresh (the first one at once). */
const RESTART_QUIET_MS = 30_000;

export class DerivedTrack implements Producer {
  readonly origin = 'derived';
  private transcoder: Transcoder | undefined;
  /** Identifies the current transcoder run, so callbacks from a stopped one are ignored. */
  private run = 0;
  private inputConfig: TrackConfig | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly backoff = new Backoff(500, 30_000);
  private notBefore = 0;
  /** Delays between restarts for a new configuration, and when the last one was. */
  private readonly restarts = new Backoff(250, 10_000);
  private lastRestartAt = -Infinity;
  /** Restarts for a new configuration so far, for the metrics and the tests. */
  configRestarts = 0;
  /** The process being stopped: nothing new starts before it has exited. */
  private stopping: Promise<void> | undefined;
  /** The pool's slot the running (or exiting) transcoder holds. */
  private release: (() => void) | undefined;
  /** Waiting for a slot of the pool (logged once per wait). */
  private waitingForSlot = false;
  /** Set by units dropped during an outage: the next one published must be a keyframe. */
  private resumeAtKeyframe = false;
  /** Transcoder processes started, for the metrics and the tests. */
  starts = 0;
  /** CPU time of its transcoders' processes, over every run. */
  private readonly cpu = new ProcessCpu(() => this.transcoder?.pid);
  /** A rung's transcoder: the bitrate it was started at, when, and whether a measure said so. */
  private tuned: { kbps: number; at: number; measured: boolean } | undefined;

  constructor(
    readonly track: Track,
    private readonly factory: TranscoderFactory | undefined,
    private readonly idleGraceMs: number,
    private readonly camera: string,
    private readonly log: Logger,
    /** Whether the camera is online: nothing it made before an outage goes out after its offline status. */
    private readonly cameraOnline: () => boolean = () => true,
    /** A smaller H.264 stream (rungs.ts): made from the native track whatever its codec, scaled down. */
    private readonly rung?: RungTarget,
    /** The hub-wide transcoder slots; without it, no cap. */
    private readonly pool?: TranscoderPool,
  ) {}

  /** It has consumers but no transcoder, for want of a free slot in the hub's pool (limits.transcoders). */
  get unavailable(): boolean {
    return this.waitingForSlot;
  }

  /** Whether it has a factory to make its transcoder with. */
  get available(): boolean {
    return this.factory !== undefined;
  }

  /** Its transcoder runs. */
  get live(): boolean {
    return this.transcoder !== undefined;
  }

  /** What makes the track while it runs: the H.264 encoder in use, or `decoder` (H.264 decoded to JPEGs). */
  get encoder(): string | undefined {
    if (!this.transcoder) return undefined;
    return this.track.codec === 'jpeg' ? 'decoder' : this.transcoder.encoderInUse;
  }

  /** CPU seconds its transcoders used so far (read now); undefined if none ever started. */
  cpuSeconds(): number | undefined {
    return this.starts > 0 ? this.cpu.seconds() : undefined;
  }

  /** A consumer arrived: start at once from the native track's cached units, if there are any. */
  wanted(native: readonly AccessUnit[]): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    for (const unit of native) this.feed(unit);
  }

  /** A consumer left: with none left, stop after the idle grace. */
  unwanted(): void {
    if (this.track.consumers.size > 0 || this.idleTimer || !this.transcoder) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.track.consumers.size === 0) void this.stop();
    }, this.idleGraceMs);
  }

  /** A native unit: transcoded while the derived track has consumers. */
  feed(unit: AccessUnit): void {
    if (unit.placeholder || !this.factory) return;
    if (this.track.consumers.size === 0 && !this.idleTimer) return;
    if (this.transcoder && unit.config !== this.inputConfig)
      this.restartLater(); // another size: a new transcoder, when the old one is gone and the wait is over
    else if (this.transcoder && unit.keyframe && this.retune()) void this.stop(); // the stream above changed
    if (!this.transcoder && !this.start(unit)) return;
    // With its times: the transcoder's output carries them (src/ffmpeg/transcoder.ts).
    this.transcoder!.push({
      config: unit.config,
      keyframe: unit.keyframe,
      data: unit.data,
      pts: unit.pts,
      ...(unit.dts !== unit.pts ? { dts: unit.dts } : {}),
    });
  }

  close(): Promise<void> {
    return this.stop();
  }

  async stop(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.waitingForSlot = false;
    const transcoder = this.transcoder;
    if (transcoder) this.cpu.sample(); // its last seconds, before it is gone
    this.transcoder = undefined;
    this.inputConfig = undefined;
    this.run++;
    // What it made is no picture to start a new consumer with once it is gone.
    if (transcoder) this.track.clearCache();
    if (transcoder) this.reap(transcoder);
    await this.stopping;
  }

  /** Stops a transcoder; its slot is given back, and a new one may start, once its process has exited. */
  private reap(transcoder: Transcoder): void {
    const release = this.release;
    this.release = undefined;
    const previous = this.stopping;
    const done: Promise<void> = Promise.all([previous, transcoder.stop().catch(() => undefined)]).then(() => {
      release?.();
      if (this.stopping === done) this.stopping = undefined;
    });
    this.stopping = done;
  }

  /** The input's configuration changed: stop now, start again once the old process is gone and the wait is over. */
  private restartLater(): void {
    const now = performance.now();
    if (now - this.lastRestartAt > RESTART_QUIET_MS) this.restarts.reset();
    const delay = now - this.lastRestartAt > RESTART_QUIET_MS ? 0 : this.restarts.next();
    this.lastRestartAt = now;
    this.configRestarts++;
    this.notBefore = Math.max(this.notBefore, now + delay);
    void this.stop();
  }

  private start(first: AccessUnit): boolean {
    if (!first.keyframe || performance.now() < this.notBefore || this.stopping) return false;
    const to = this.track.codec;
    const release = this.pool?.take();
    if (this.pool && !release) {
      if (!this.waitingForSlot)
        this.log.warn(
          { camera: this.camera, to, quality: this.track.quality },
          'transcoder unavailable: the hub runs as many transcoders as limits.transcoders allows; waiting',
        );
      this.waitingForSlot = true;
      return false;
    }
    this.waitingForSlot = false;
    let transcoder: Transcoder;
    const target = this.rung?.target();
    try {
      const from = first.config.codec;
      const size = { width: first.config.width, height: first.config.height };
      transcoder = this.factory!(
        to,
        this.rung && target ? { from, rung: { quality: this.rung.quality, kbps: target.kbps, size } } : { from },
      );
    } catch (err) {
      release?.();
      this.failed(`could not create the ${to} transcoder: ${(err as Error).message}`);
      return false;
    }
    const run = ++this.run;
    this.transcoder = transcoder;
    this.release = release;
    this.inputConfig = first.config;
    this.starts++;
    this.tuned = target && { ...target, at: performance.now() };
    const rung = this.rung ? { quality: this.rung.quality, kbps: target?.kbps } : {};
    this.log.info({ camera: this.camera, to, ...rung }, 'transcoder started');
    transcoder.start({
      unit: (unit) => {
        if (run !== this.run) return;
        this.backoff.reset();
        // Units still in the pipe when the camera failed are older than its offline status: dropped,
        // and the track then resumes at a keyframe (what follows would lack its reference).
        if (!this.cameraOnline()) {
          this.resumeAtKeyframe = true;
          return;
        }
        if (this.resumeAtKeyframe) {
          if (!unit.keyframe) return;
          this.resumeAtKeyframe = false;
        }
        // Its output carries its input's times (the camera's clock, or its track's).
        this.track.publish(unit.config, unit.keyframe, unit.data, preciseNow(), false, unit);
      },
      ended: (reason) => {
        if (run !== this.run) return;
        this.transcoder = undefined;
        this.inputConfig = undefined;
        this.run++;
        this.reap(transcoder); // its process may still be exiting: its slot is freed when it has
        this.failed(reason);
      },
    });
    return true;
  }

  /** A rung's transcoder runs at a bitrate well away from what the stream above now asks for. */
  private retune(): boolean {
    if (!this.rung || !this.tuned) return false;
    const wanted = this.rung.target();
    const { kbps, at, measured } = this.tuned;
    if (!shouldRetune(kbps, wanted.kbps, performance.now() - at, measured)) return false;
    this.log.info({ camera: this.camera, quality: this.rung.quality, from: kbps, to: wanted.kbps }, 'rung retuned');
    return true;
  }

  private failed(reason: string): void {
    const delay = this.backoff.next();
    this.notBefore = performance.now() + delay;
    this.log.warn({ camera: this.camera, to: this.track.codec, reason, retryMs: delay }, 'transcoder ended');
  }
}
