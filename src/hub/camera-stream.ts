/**
 * One camera's live stream, as the rest of the app sees it: tracks by codec,
 * consumers subscribed to a track, status and statistics. The work is done by
 * the parts this facade wires together:
 * - supervisor.ts: the source's lifecycle (on demand, stalls, restart with backoff);
 * - track.ts: fan-out of access units, the latest unit and the cached GOP;
 * - derived-track.ts: the track the camera does not produce itself, through a
 *   transcoder that runs only while that track has consumers;
 * - placeholder-ticker.ts: NO SIGNAL pictures to JPEG consumers while offline;
 * - snapshot-wait.ts: waiting for the next live picture.
 * Nothing runs (no timer, no child) while the camera is idle.
 */
import type { Logger } from 'pino';
import type { AccessUnit, Codec } from '../media/index.js';
import { jpegConfig } from '../media/jpeg.js';
import type { PlaceholderRenderer } from '../sources/ffmpeg/placeholder.js';
import type { FrameSource } from '../sources/source.js';
import type { CameraInfo, CameraState } from './camera-info.js';
import { preciseNow, type CameraStatus, type Consumer, type ViewerStats } from './consumer.js';
import { DerivedTrack, type TranscoderFactory } from './derived-track.js';
import { PlaceholderTicker } from './placeholder-ticker.js';
import { ProcessCpu } from './process-cpu.js';
import { nextLiveUnit } from './snapshot-wait.js';
import { SourceSupervisor, type CameraCounters } from './supervisor.js';
import { MAX_GOP_BYTES, Track } from './track.js';
import type { ViewerEvents } from './viewer-events.js';

export type { CameraInfo, CameraState, CameraCounters };

export interface CameraStreamOptions {
  id: string;
  name: string;
  /** Source kind for the API: testsrc, v4l2, rtsp, http, file, … */
  kind: string;
  alwaysOn: boolean;
  idleGraceMs: number;
  stallTimeoutMs: number;
  snapshotTimeoutMs: number;
  /** Size for the placeholder before any unit has told the real one. */
  expectedSize?: { width: number; height: number };
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  placeholderIntervalMs?: number;
  /** Makes the transcoders of derived tracks; without it a camera has only its native track. */
  transcoders?: TranscoderFactory;
  /** Bound of each H.264 track's cached group of pictures. */
  maxGopBytes?: number;
}

/** What the API says of one track. */
export interface TrackInfo {
  codec: Codec;
  /** Produced by the camera (native) or by a transcoder (derived). */
  origin: 'native' | 'derived';
  /** A derived track's transcoder is running. */
  running: boolean;
  codecString: string | null;
  /**
   * What makes the track, while it is made: `camera` (the camera's own units, passed through untouched), the
   * H.264 encoder of a derived track (`libx264`, `h264_rkmpp`, …: what `auto` chose), `decoder` (a derived JPEG
   * track: H.264 decoded to JPEGs), `mjpeg` (the capture encodes the camera's pictures to JPEG). Null otherwise.
   */
  encoder: string | null;
  /**
   * CPU seconds used so far by the process making the track: the capture process for the native track, the
   * transcoder for a derived one (over all their runs). Null when there is none (a relayed camera's native
   * track, a derived track never started).
   */
  cpuSeconds: number | null;
  width: number | null;
  height: number | null;
  consumers: number;
  bitrate: number;
  keyframeIntervalMs: number | null;
  units: number;
  bytes: number;
}

const CODECS: readonly Codec[] = ['jpeg', 'h264'];

export class CameraStream {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  /** Where viewers' round trips and departures go (/metrics): set by the registry that holds the camera. */
  viewerEvents: ViewerEvents | undefined;

  private readonly supervisor: SourceSupervisor;
  private readonly tracks: Record<Codec, Track>;
  private readonly derived: Record<Codec, DerivedTrack>;
  private readonly placeholder: PlaceholderTicker;
  /** CPU time of the capture process, for sources that run one; read when asked, never per unit. */
  private readonly captureCpu: ProcessCpu | undefined;
  /** The codec the source produces, once its first unit has told. */
  private nativeCodec: Codec | undefined;
  private readonly sourceEncoder: () => string | undefined;
  private closed = false;

  constructor(
    private readonly options: CameraStreamOptions,
    source: FrameSource,
    renderPlaceholder: PlaceholderRenderer,
    private readonly log: Logger,
  ) {
    this.id = options.id;
    this.name = options.name;
    this.kind = options.kind;
    const gop = options.maxGopBytes ?? MAX_GOP_BYTES;
    const track = (codec: Codec): Track =>
      new Track(codec, this.id, log, gop, (consumer) => this.consumerRemoved(codec, consumer));
    this.tracks = { jpeg: track('jpeg'), h264: track('h264') };
    const derive = (codec: Codec): DerivedTrack =>
      new DerivedTrack(
        this.tracks[codec],
        options.transcoders,
        options.idleGraceMs,
        this.id,
        log,
        () => this.state === 'online',
      );
    this.derived = { jpeg: derive('jpeg'), h264: derive('h264') };
    this.placeholder = new PlaceholderTicker(
      renderPlaceholder,
      () => this.size,
      options.placeholderIntervalMs ?? 1000,
      (jpeg, size) => {
        const jpegTrack = this.tracks.jpeg;
        if (this.state !== 'offline' || jpegTrack.consumers.size === 0) return false;
        jpegTrack.publish(jpegConfig(size.width, size.height), true, jpeg, preciseNow(), true);
        return true;
      },
    );
    this.captureCpu = 'pid' in source ? new ProcessCpu(() => source.pid) : undefined;
    // The capture's last CPU seconds are read before it is stopped, so they count too.
    const supervised: FrameSource = {
      start: (sink) => source.start(sink),
      stop: () => {
        this.captureCpu?.sample();
        return source.stop();
      },
    };
    this.sourceEncoder = () => source.encoder;
    this.supervisor = new SourceSupervisor(
      options,
      supervised,
      {
        hasDemand: () => this.hasDemand(),
        unit: (unit, receivedAt) => {
          const codec = unit.config.codec;
          this.nativeCodec = codec;
          const published = this.tracks[codec].publish(unit.config, unit.keyframe, unit.data, receivedAt);
          this.derived[codec === 'jpeg' ? 'h264' : 'jpeg'].feed(published);
        },
        changed: (state) => this.onStateChange(state),
      },
      log,
    );
    this.supervisor.init();
  }

  get state(): CameraState {
    return this.supervisor.state;
  }

  get status(): CameraStatus {
    return this.supervisor.status;
  }

  get counters(): CameraCounters {
    return this.supervisor.counters;
  }

  /** The codec the camera itself produces (undefined until its first unit). */
  get native(): Codec | undefined {
    return this.nativeCodec;
  }

  /** The newest unit from the camera itself: its size, its last-frame time. */
  get lastLive(): AccessUnit | undefined {
    return this.nativeCodec ? this.tracks[this.nativeCodec].latestLive : undefined;
  }

  get consumerCount(): number {
    return this.tracks.jpeg.consumers.size + this.tracks.h264.consumers.size;
  }

  get size(): { width: number; height: number } | undefined {
    const config = this.lastLive?.config;
    return config ? { width: config.width, height: config.height } : this.options.expectedSize;
  }

  get snapshotTimeoutMs(): number {
    return this.options.snapshotTimeoutMs;
  }

  /** Gives a camera made without a transcoder factory (a relayed one) the registry's. */
  offerTranscoders(factory: TranscoderFactory): void {
    this.derived.jpeg.offerFactory(factory);
    this.derived.h264.offerFactory(factory);
  }

  /** The transcoders started so far for the camera's derived tracks. */
  get transcoderStarts(): number {
    return this.derived.jpeg.starts + this.derived.h264.starts;
  }

  /**
   * Adds a consumer of the camera's `codec` track; returns the function that
   * removes it. Starts the source if it is idle, and the track's transcoder if
   * the track is derived.
   */
  subscribe(consumer: Consumer, codec: Codec = 'jpeg'): () => void {
    if (this.closed) throw new Error(`camera ${this.id} is closed`);
    this.tracks[codec].consumers.add(consumer);
    this.supervisor.wanted();
    if (this.nativeCodec !== codec) {
      const native = this.nativeCodec && this.state === 'online' ? this.tracks[this.nativeCodec].cached() : [];
      this.derived[codec].wanted(native);
    }
    if (codec === 'jpeg' && this.state === 'offline') this.placeholder.start();
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      if (!this.tracks[codec].consumers.delete(consumer)) return;
      this.consumerRemoved(codec, consumer);
    };
  }

  /**
   * Sends a consumer what it needs to show a picture at once: the current
   * GOP of an H.264 track, the latest picture of a JPEG track (a placeholder
   * while offline). Nothing while the camera is (re)starting from idle: what
   * is left from an earlier run may be hours old.
   */
  catchUp(consumer: Consumer, codec: Codec = 'jpeg'): void {
    if (this.state === 'online' || this.state === 'offline') this.tracks[codec].catchUp(consumer);
  }

  /** A viewer measured a round trip (ms), from its ack. */
  viewerRtt(ms: number): void {
    this.viewerEvents?.rtt(this.id, ms);
  }

  viewers(): ViewerStats[] {
    const out: ViewerStats[] = [];
    for (const codec of CODECS) {
      for (const c of this.tracks[codec].consumers) {
        const s = c.stats?.();
        if (s) out.push(s);
      }
    }
    return out;
  }

  /**
   * The camera's current live picture of `codec` (a keyframe for H.264 is not
   * promised: snapshots use jpeg), or the next one within timeoutMs (starting
   * an on-demand camera, or the JPEG decoder of an H.264 camera, for it).
   * Undefined if none comes in time, and at once while the camera is offline
   * (failed, restarting with backoff): waiting would only delay NO SIGNAL.
   */
  async liveUnit(codec: Codec = 'jpeg', timeoutMs = this.options.snapshotTimeoutMs): Promise<AccessUnit | undefined> {
    const latest = this.tracks[codec].latest;
    const fresh = codec === this.nativeCodec || this.derived[codec].running;
    if (this.state === 'online' && latest && !latest.placeholder && fresh) return latest;
    if (this.state === 'offline') return undefined;
    return nextLiveUnit((consumer) => this.subscribe(consumer, codec), timeoutMs);
  }

  /** The NO SIGNAL picture for the current outage, as a JPEG unit (not sent to anyone). */
  async placeholderUnit(): Promise<AccessUnit> {
    const { jpeg, size } = await this.placeholder.current();
    const config = jpegConfig(size.width, size.height);
    const seq = this.tracks.jpeg.latest?.seq ?? 0;
    return { seq, config, keyframe: true, receivedAt: preciseNow(), data: jpeg, placeholder: true };
  }

  fps(): number {
    return this.supervisor.fps();
  }

  /** Total offline time in ms, the outage in progress included. */
  offlineMs(): number {
    return this.supervisor.offlineMs();
  }

  /** The source can work again (a relayed camera's edge is back): restart now, not after the backoff. */
  retryNow(): void {
    this.supervisor.retryNow();
  }

  /** CPU seconds the capture process used so far (read now); undefined for a source without a process. */
  captureCpuSeconds(): number | undefined {
    return this.captureCpu?.seconds();
  }

  /** CPU seconds the transcoder of the derived `codec` track used so far (read now); undefined if it never ran. */
  transcoderCpuSeconds(codec: Codec): number | undefined {
    return this.derived[codec].cpuSeconds();
  }

  /** The tracks' details; `cpu: false` leaves out the CPU seconds (not read from /proc then). */
  trackInfo({ cpu = true }: { cpu?: boolean } = {}): TrackInfo[] {
    const now = preciseNow();
    return CODECS.map((codec) => {
      const track = this.tracks[codec];
      const config = track.config;
      const native = codec === this.nativeCodec;
      const derived = this.derived[codec];
      const running = native ? this.state === 'online' : derived.running;
      const encoder = native ? (this.sourceEncoder() ?? 'camera') : derived.encoder;
      const cpuSeconds = !cpu ? undefined : native ? this.captureCpuSeconds() : derived.cpuSeconds();
      return {
        codec,
        origin: native ? 'native' : 'derived',
        running,
        codecString: config?.codecString ?? null,
        encoder: running ? (encoder ?? null) : null,
        cpuSeconds: cpuSeconds === undefined ? null : Math.round(cpuSeconds * 100) / 100,
        width: config?.width ?? null,
        height: config?.height ?? null,
        consumers: track.consumers.size,
        bitrate: track.bitrate(now),
        keyframeIntervalMs: track.keyframeInterval() ?? null,
        units: track.counters.units,
        bytes: track.counters.bytes,
      };
    });
  }

  info(): CameraInfo {
    const size = this.size;
    const status = this.status;
    const offline = this.state === 'offline';
    const failure = this.supervisor.failure;
    const last = this.lastLive;
    return {
      id: this.id,
      name: this.name,
      kind: this.kind,
      state: this.state,
      online: this.state === 'online',
      width: size?.width ?? null,
      height: size?.height ?? null,
      fps: this.fps(),
      viewerCount: this.viewers().length,
      lastFrameAt: last ? Math.round(last.receivedAt) : null,
      offlineSince: offline ? status.since : null,
      offlineReason: offline ? (status.reason ?? null) : null,
      lastError: failure?.reason ?? null,
      lastErrorAt: failure?.at ?? null,
      alwaysOn: this.options.alwaysOn,
      codec: this.nativeCodec ?? null,
    };
  }

  /** Stops the source, the transcoders and every timer; consumers are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    for (const codec of CODECS) {
      const consumers = this.tracks[codec].consumers;
      for (const consumer of [...consumers]) {
        consumers.delete(consumer);
        this.reportLeft(consumer);
      }
    }
    this.placeholder.stop();
    this.placeholder.drop();
    await Promise.all([this.supervisor.close(), this.derived.jpeg.stop(), this.derived.h264.stop()]);
  }

  private hasDemand(): boolean {
    return this.options.alwaysOn || this.consumerCount > 0;
  }

  private onStateChange(state: CameraState): void {
    if (state === 'online') {
      this.placeholder.stop();
      this.placeholder.drop();
    } else if (state === 'offline') {
      this.placeholder.drop();
      // An H.264 stream that comes back starts afresh, at a keyframe.
      this.tracks.h264.clearCache();
    } else {
      this.placeholder.stop();
      this.placeholder.drop();
      for (const codec of CODECS) {
        this.tracks[codec].clearCache();
        void this.derived[codec].stop();
      }
      return;
    }
    this.notifyStatus();
    if (state === 'offline' && this.tracks.jpeg.consumers.size > 0) this.placeholder.start();
  }

  private notifyStatus(): void {
    const status = this.status;
    for (const codec of CODECS) {
      const consumers = this.tracks[codec].consumers;
      for (const consumer of consumers) {
        try {
          consumer.onStatus?.(status);
        } catch (err) {
          this.log.error({ camera: this.id, err }, 'consumer failed on a status; dropping it');
          consumers.delete(consumer);
          this.reportLeft(consumer);
        }
      }
    }
  }

  /** A consumer is out of its track (it left or broke): its counts to the metrics, demand re-checked. */
  private consumerRemoved(codec: Codec, consumer: Consumer): void {
    this.reportLeft(consumer);
    if (this.closed) return;
    this.derived[codec].unwanted();
    if (codec === 'jpeg' && this.tracks.jpeg.consumers.size === 0) this.placeholder.stop();
    this.supervisor.unwanted();
  }

  private reportLeft(consumer: Consumer): void {
    if (!consumer.stats || !this.viewerEvents) return;
    let stats: ViewerStats;
    try {
      stats = consumer.stats();
    } catch {
      return; // a broken consumer: its counts are lost, not the camera
    }
    this.viewerEvents.left(this.id, stats);
  }
}
