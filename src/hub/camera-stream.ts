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
 * H.264 has two qualities: `main` (the camera's picture) and `sub`, a smaller stream for slow links, from
 * the camera's own second URL (`substream`, a second supervised source) or else from a transcoder of the
 * native track; both run only while the sub track has consumers.
 * Nothing runs (no timer, no child) while the camera is idle.
 */
import type { Logger } from 'pino';
import type { AccessUnit, Codec, TrackConfig } from '../media/index.js';
import { jpegConfig } from '../media/jpeg.js';
import type { FrameSource } from '../sources/source.js';
import type { CameraInfo, CameraState } from './camera-info.js';
import { preciseNow, type CameraStatus, type Consumer, type Quality, type ViewerStats } from './consumer.js';
import { DerivedTrack, type TranscoderFactory } from './derived-track.js';
import { PlaceholderTicker, type PlaceholderRenderer } from './placeholder-ticker.js';
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
  /**
   * The camera's own sub-stream (its second, smaller H.264 URL): read only while the sub track has consumers.
   * Without it, the sub track is made by a transcoder (`transcoders(…, { from })`) from the native track.
   */
  substream?: FrameSource;
}

/** What the API says of one track. */
export interface TrackInfo {
  codec: Codec;
  /** `main`, or `sub` for the smaller H.264 stream. */
  quality: Quality;
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

const CODECS: readonly Codec[] = ['jpeg', 'h264', 'h265'];
/** The codecs a transcoder can make: JPEG and H.264 (nothing encodes H.265: only a camera's own is served). */
const DERIVABLE = ['jpeg', 'h264'] as const;

export class CameraStream {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  /** Where viewers' round trips and departures go (/metrics): set by the registry that holds the camera. */
  viewerEvents: ViewerEvents | undefined;

  private readonly supervisor: SourceSupervisor;
  private readonly tracks: Record<Codec, Track>;
  private readonly derived: Partial<Record<Codec, DerivedTrack>>;
  /** H.264 sub-stream: its track, and what makes it (the camera's second URL, or a transcoder). */
  private readonly subTrack: Track;
  private readonly subDerived: DerivedTrack | undefined;
  private readonly subSource: SourceSupervisor | undefined;
  private readonly subEncoder: () => string | undefined;
  private subCodecWarned = false;
  private readonly placeholder: PlaceholderTicker;
  /** CPU time of the capture process, for sources that run one; read when asked, never per unit. */
  private readonly captureCpu: ProcessCpu | undefined;
  /** The codec the source produces, once its first unit has told. */
  private nativeCodec: Codec | undefined;
  private readonly sourceEncoder: () => string | undefined;
  /** Called when a unit tells the native codec (knownNative, subscribeVideo). */
  private readonly nativeWaiters = new Set<() => void>();
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
    // Each track numbers its own units: a viewer moving between main and sub renumbers (src/outputs/ws/viewer.ts).
    const track = (codec: Codec, quality: Quality = 'main'): Track =>
      new Track(codec, this.id, log, gop, (consumer) => this.consumerRemoved(codec, consumer, quality), quality);
    this.tracks = { jpeg: track('jpeg'), h264: track('h264'), h265: track('h265') };
    this.subTrack = track('h264', 'sub');
    const derive = (codec: Codec): DerivedTrack =>
      new DerivedTrack(
        this.tracks[codec],
        options.transcoders,
        options.idleGraceMs,
        this.id,
        log,
        () => this.state === 'online',
      );
    this.derived = Object.fromEntries(DERIVABLE.map((codec) => [codec, derive(codec)]));
    const substream = options.substream;
    if (substream) {
      this.subSource = new SourceSupervisor(
        { ...options, id: `${options.id} sub`, alwaysOn: false },
        substream,
        {
          hasDemand: () => !this.closed && this.subTrack.consumers.size > 0,
          unit: (unit, receivedAt) => this.publishSub(unit.config, unit.keyframe, unit.data, receivedAt),
          changed: (state) => {
            if (state !== 'online') this.subTrack.clearCache(); // it resumes at a keyframe
          },
        },
        log,
      );
      this.subEncoder = () => (this.subSource?.state === 'online' ? (substream.encoder ?? 'camera') : undefined);
    } else {
      const sub = new DerivedTrack(
        this.subTrack,
        options.transcoders,
        options.idleGraceMs,
        this.id,
        log,
        () => this.state === 'online',
        true,
      );
      this.subDerived = sub;
      this.subEncoder = () => sub.encoder;
    }
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
          if (this.nativeCodec !== codec) {
            this.nativeCodec = codec;
            for (const wake of [...this.nativeWaiters]) wake();
          }
          const published = this.tracks[codec].publish(unit.config, unit.keyframe, unit.data, receivedAt);
          // Every track the camera does not make itself is made from this one, while it is wanted.
          for (const derived of this.derivedTracks()) if (derived.track.codec !== codec) derived.feed(published);
          this.subDerived?.feed(published);
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

  /**
   * The codec the camera produces, starting it to find out if no unit has told yet (an idle on-demand
   * camera): undefined if it does not say within timeoutMs or goes offline first. Only the source
   * runs for it (the h265 track, which nothing derives), no transcoder.
   */
  async knownNative(timeoutMs = this.options.snapshotTimeoutMs): Promise<Codec | undefined> {
    if (this.nativeCodec || this.closed || this.state === 'offline') return this.nativeCodec;
    let wake = (): void => {};
    const told = new Promise<void>((resolve) => (wake = resolve));
    const waiting: Consumer = {
      onUnit: () => {},
      onStatus: (status) => {
        if (!status.online) wake();
      },
    };
    const unsubscribe = this.subscribe(waiting, 'h265');
    this.nativeWaiters.add(wake);
    const timer = setTimeout(wake, timeoutMs);
    try {
      await told;
    } finally {
      clearTimeout(timer);
      this.nativeWaiters.delete(wake);
      unsubscribe();
    }
    return this.nativeCodec;
  }

  /** The newest unit from the camera itself: its size, its last-frame time. */
  get lastLive(): AccessUnit | undefined {
    return this.nativeCodec ? this.tracks[this.nativeCodec].latestLive : undefined;
  }

  get consumerCount(): number {
    return this.allTracks().reduce((sum, track) => sum + track.consumers.size, 0);
  }

  /** Consumers that watch (not background ones, such as a recorder). */
  get watcherCount(): number {
    let n = 0;
    for (const track of [this.tracks.jpeg, this.tracks.h264, this.subTrack]) {
      for (const consumer of track.consumers) if (!consumer.background) n++;
    }
    return n;
  }

  /** Whether the camera can have an H.264 sub-stream: its own second URL, or a transcoder factory. */
  get hasSub(): boolean {
    return this.subSource !== undefined || (this.subDerived?.canStart ?? false);
  }

  /** The sub track is made and delivering (for a viewer deciding whether to wait for it). */
  get subLive(): boolean {
    return this.subSource ? this.subSource.state === 'online' : (this.subDerived?.running ?? false);
  }

  /** Bits per second of a track over the last whole second (0 when it is not running). */
  bitrate(codec: Codec, quality: Quality = 'main'): number {
    return this.track(codec, quality).bitrate(preciseNow());
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
    for (const derived of this.derivedTracks()) derived.offerFactory(factory);
    this.subDerived?.offerFactory(factory);
  }

  /** The transcoders started so far for the camera's derived tracks. */
  get transcoderStarts(): number {
    return this.derivedTracks().reduce((sum, derived) => sum + derived.starts, this.subDerived?.starts ?? 0);
  }

  /**
   * Adds a consumer of the camera's `codec` track; returns the function that
   * removes it. Starts the source if it is idle, and the track's transcoder if
   * the track is derived.
   */
  subscribe(consumer: Consumer, codec: Codec = 'jpeg', quality: Quality = 'main'): () => void {
    if (this.closed) throw new Error(`camera ${this.id} is closed`);
    if (codec === 'h264' && quality === 'sub') return this.subscribeSub(consumer);
    this.tracks[codec].consumers.add(consumer);
    this.supervisor.wanted();
    if (this.nativeCodec !== codec) {
      const native = this.nativeCodec && this.state === 'online' ? this.tracks[this.nativeCodec].cached() : [];
      this.derived[codec]?.wanted(native);
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
   * Adds a consumer of the camera's own video as it comes: its H.264 or H.265 track (H.264 for a
   * camera that sends JPEG, encoded). Until the camera's first unit says which, the consumer waits
   * on the h265 track, which only starts the source (nothing is derived for it); it moves to the
   * H.264 track then if the camera does not send H.265. Returns the function that removes it.
   */
  subscribeVideo(consumer: Consumer): () => void {
    const videoTrack = (): Codec => (this.nativeCodec === 'h265' ? 'h265' : 'h264');
    if (this.nativeCodec) return this.subscribe(consumer, videoTrack());
    let unsubscribe = this.subscribe(consumer, 'h265');
    const settle = (): void => {
      this.nativeWaiters.delete(settle);
      if (videoTrack() === 'h265') return;
      // Onto the H.264 track before leaving this one: the camera never sees a moment without demand.
      const leave = unsubscribe;
      unsubscribe = this.subscribe(consumer, 'h264');
      leave();
    };
    this.nativeWaiters.add(settle);
    return () => {
      this.nativeWaiters.delete(settle);
      unsubscribe();
    };
  }

  /**
   * Sends a consumer what it needs to show a picture at once: the current
   * GOP of an H.264 track, the latest picture of a JPEG track (a placeholder
   * while offline). Nothing while the camera is (re)starting from idle: what
   * is left from an earlier run may be hours old.
   */
  catchUp(consumer: Consumer, codec: Codec = 'jpeg', quality: Quality = 'main'): void {
    if (this.state === 'online' || this.state === 'offline') this.track(codec, quality).catchUp(consumer);
  }

  /** A viewer measured a round trip (ms), from its ack. */
  viewerRtt(ms: number): void {
    this.viewerEvents?.rtt(this.id, ms);
  }

  viewers(): ViewerStats[] {
    const out: ViewerStats[] = [];
    // A viewer moving between main and sub is in both tracks for a moment: counted once.
    const seen = new Set<Consumer>();
    for (const track of this.allTracks()) {
      for (const c of track.consumers) {
        if (seen.has(c)) continue;
        seen.add(c);
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
    const fresh = codec === this.nativeCodec || (this.derived[codec]?.running ?? false);
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
    return this.derived[codec]?.cpuSeconds();
  }

  /** The tracks' details; `cpu: false` leaves out the CPU seconds (not read from /proc then). */
  trackInfo({ cpu = true }: { cpu?: boolean } = {}): TrackInfo[] {
    const now = preciseNow();
    // A track nothing can make (H.265 of another camera) is not listed.
    const listed = CODECS.filter((codec) => codec === this.nativeCodec || this.derived[codec]);
    const tracks = listed.map((codec): TrackInfo => {
      const native = codec === this.nativeCodec;
      const derived = this.derived[codec];
      return describeTrack(this.tracks[codec], now, {
        quality: 'main',
        origin: native ? 'native' : 'derived',
        running: native ? this.state === 'online' : (derived?.running ?? false),
        encoder: native ? (this.sourceEncoder() ?? 'camera') : derived?.encoder,
        cpuSeconds: !cpu ? undefined : native ? this.captureCpuSeconds() : derived?.cpuSeconds(),
      });
    });
    // The sub-stream is listed while it is wanted or made: a client that never asks for it sees the list as it was.
    if (this.hasSub && (this.subLive || this.subTrack.consumers.size > 0)) {
      tracks.push(
        describeTrack(this.subTrack, now, {
          quality: 'sub',
          origin: this.subSource ? 'native' : 'derived',
          running: this.subLive,
          encoder: this.subEncoder(),
          cpuSeconds: cpu ? this.subDerived?.cpuSeconds() : undefined,
        }),
      );
    }
    return tracks;
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
      substream: this.subSource
        ? 'camera'
        : !this.nativeCodec || !(this.subDerived?.canStart ?? false)
          ? null
          : this.nativeCodec === 'jpeg'
            ? 'encoder'
            : 'transcoder',
    };
  }

  /** Stops the source, the transcoders and every timer; consumers are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    const left = new Set<Consumer>();
    for (const track of this.allTracks()) {
      for (const consumer of [...track.consumers]) {
        track.consumers.delete(consumer);
        left.add(consumer);
      }
    }
    for (const consumer of left) this.reportLeft(consumer);
    this.placeholder.stop();
    this.placeholder.drop();
    await Promise.all([
      this.supervisor.close(),
      ...this.derivedTracks().map((derived) => derived.stop()),
      this.subDerived?.stop(),
      this.subSource?.close(),
    ]);
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
      // An H.264 or H.265 stream that comes back starts afresh, at a keyframe.
      this.tracks.h264.clearCache();
      this.tracks.h265.clearCache();
      if (this.subDerived) this.subTrack.clearCache();
    } else {
      this.placeholder.stop();
      this.placeholder.drop();
      for (const codec of CODECS) {
        this.tracks[codec].clearCache();
        void this.derived[codec]?.stop();
      }
      this.subTrack.clearCache();
      void this.subDerived?.stop();
      return;
    }
    this.notifyStatus();
    if (state === 'offline' && this.tracks.jpeg.consumers.size > 0) this.placeholder.start();
  }

  private notifyStatus(): void {
    const status = this.status;
    const told = new Set<Consumer>();
    for (const track of this.allTracks()) {
      const consumers = track.consumers;
      for (const consumer of consumers) {
        if (told.has(consumer)) continue; // in main and sub for a moment: told once
        told.add(consumer);
        try {
          consumer.onStatus?.(status);
        } catch (err) {
          this.log.error({ camera: this.id, err }, 'consumer failed on a status; dropping it');
          consumers.delete(consumer);
          this.consumerRemoved(track.codec, consumer, track.quality);
        }
      }
    }
  }

  private allTracks(): Track[] {
    return [...CODECS.map((codec) => this.tracks[codec]), this.subTrack];
  }

  private derivedTracks(): DerivedTrack[] {
    return DERIVABLE.map((codec) => this.derived[codec]!);
  }

  private track(codec: Codec, quality: Quality): Track {
    return codec === 'h264' && quality === 'sub' ? this.subTrack : this.tracks[codec];
  }

  private subscribeSub(consumer: Consumer): () => void {
    this.subTrack.consumers.add(consumer);
    this.supervisor.wanted();
    if (this.subSource) this.subSource.wanted();
    else if (this.subDerived) {
      const native = this.nativeCodec && this.state === 'online' ? this.tracks[this.nativeCodec].cached() : [];
      this.subDerived.wanted(native);
    }
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      if (!this.subTrack.consumers.delete(consumer)) return;
      this.consumerRemoved('h264', consumer, 'sub');
    };
  }

  /** A unit of the camera's own sub-stream: H.264 only (another codec there is a configuration mistake). */
  private publishSub(config: TrackConfig, keyframe: boolean, data: Buffer, receivedAt: number): void {
    if (config.codec !== 'h264') {
      if (!this.subCodecWarned) this.log.warn({ camera: this.id }, 'the substream is not H.264: not used');
      this.subCodecWarned = true;
      return;
    }
    this.subTrack.publish(config, keyframe, data, receivedAt);
  }

  /** A consumer is out of a track (it left or broke): its counts to the metrics, demand re-checked. */
  private consumerRemoved(codec: Codec, consumer: Consumer, quality: Quality = 'main'): void {
    // A viewer that moved from one quality to the other has not left.
    if (!this.allTracks().some((t) => t.consumers.has(consumer))) this.reportLeft(consumer);
    if (this.closed) return;
    if (quality === 'sub') {
      this.subDerived?.unwanted();
      this.subSource?.unwanted();
      this.supervisor.unwanted();
      return;
    }
    this.derived[codec]?.unwanted();
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

/** What the API says of one track, from the track's own counters and what its camera knows of it. */
function describeTrack(
  track: Track,
  now: number,
  made: Pick<TrackInfo, 'quality' | 'origin' | 'running'> & { encoder: string | undefined; cpuSeconds?: number },
): TrackInfo {
  const config = track.config;
  return {
    codec: track.codec,
    ...made,
    codecString: config?.codecString ?? null,
    encoder: made.running ? (made.encoder ?? null) : null,
    cpuSeconds: made.cpuSeconds === undefined ? null : Math.round(made.cpuSeconds * 100) / 100,
    width: config?.width ?? null,
    height: config?.height ?? null,
    consumers: track.consumers.size,
    bitrate: track.bitrate(now),
    keyframeIntervalMs: track.keyframeInterval() ?? null,
    units: track.counters.units,
    bytes: track.counters.bytes,
  };
}
