/**
 * One camera's live stream, as the rest of the app sees it: consumers subscribed to its tracks (by codec
 * and quality), status and statistics. The work is done by the parts it wires together:
 * - capture.ts: the camera's own source under its supervisor (on demand, stalls, restart with backoff);
 * - camera-tracks.ts: the tracks by codec and quality, each with its producer (the capture, a transcoder,
 *   the camera's own sub-stream);
 * - native-codec.ts: what the camera sends, and waiting to find out;
 * - camera-report.ts: what the API says of the camera and its tracks;
 * - placeholder-ticker.ts: NO SIGNAL pictures to JPEG consumers while offline;
 * - snapshot-wait.ts: waiting for the next live picture.
 * Nothing runs (no timer, no child) while the camera is idle.
 */
import type { Logger } from 'pino';
import { VIDEO_CLOCK_RATE, type AccessUnit, type AudioConfig, type AudioConsumer, type Codec } from '../media/index.js';
import { AudioTrack } from './audio-track.js';
import { jpegConfig } from '../media/jpeg.js';
import type { FrameSource } from '../sources/source.js';
import type { CameraInfo, CameraState } from './camera-info.js';
import { describeCamera, describeTracks, type TrackInfo } from './camera-report.js';
import { CameraTracks, type TrackEntry } from './camera-tracks.js';
import { Capture } from './capture.js';
import { preciseNow, type CameraStatus, type Consumer, type Quality, type ViewerStats } from './consumer.js';
import type { TranscoderFactory } from './derived-track.js';
import type { TranscoderPool } from './transcoder-slots.js';
import { NativeCodec } from './native-codec.js';
import { PlaceholderTicker, type PlaceholderRenderer } from './placeholder-ticker.js';
import { nextLiveUnit } from './snapshot-wait.js';
import type { CameraCounters } from './supervisor.js';
import type { ViewerEvents } from './viewer-events.js';

export type { CameraInfo, CameraState, CameraCounters, TrackInfo };

export interface CameraStreamOptions {
  id: string;
  name: string;
  /** Source kind for the API: testsrc, v4l2, rtsp, http, file, relay, … */
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
  /** The hub-wide slots its transcoders take (transcoder-slots.ts); without it, no cap. */
  transcoderPool?: TranscoderPool;
  /** Bound of each H.264 track's cached group of pictures. */
  maxGopBytes?: number;
  /**
   * The camera's own sub-stream (its second, smaller H.264 URL): read only while the sub track has consumers.
   * Without it, the sub track is made by a transcoder (`transcoders(…, { from, rung })`) from the native track.
   */
  substream?: FrameSource;
  /** `false`: the camera's audio is dropped here, whatever its source gives (`audio: false` in the config). */
  audio?: boolean;
}

export class CameraStream {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  /** Where viewers' round trips and departures go (/metrics): set by the registry that holds the camera. */
  viewerEvents: ViewerEvents | undefined;

  private readonly capture: Capture;
  private readonly tracks: CameraTracks;
  private readonly nativeCodec: NativeCodec;
  private readonly placeholder: PlaceholderTicker;
  private readonly audioTrack: AudioTrack;
  /** The native video's pts minus its source's (90 kHz), while its source gives times. */
  private videoSourceOffset: number | undefined;
  private closed = false;

  constructor(
    private readonly options: CameraStreamOptions,
    source: FrameSource,
    renderPlaceholder: PlaceholderRenderer,
    log: Logger,
  ) {
    this.id = options.id;
    this.name = options.name;
    this.kind = options.kind;
    this.nativeCodec = new NativeCodec((consumer, codec) => this.subscribe(consumer, codec));
    this.audioTrack = new AudioTrack(options.id, log);
    this.capture = new Capture(
      source,
      options,
      {
        hasDemand: () => this.options.alwaysOn || this.consumerCount > 0,
        unit: (unit, capturedAt) => {
          this.nativeCodec.learn(unit.config.codec);
          this.tracks.publishNative(unit, capturedAt);
          // Where the source's clock puts the track's (the audio follows it, audio-track.ts).
          const published = this.tracks.get(unit.config.codec).track.latestLive;
          this.videoSourceOffset = unit.pts !== undefined && published ? published.pts - (unit.pts ?? 0) : undefined;
        },
        changed: (state) => this.onStateChange(state),
        audio: (unit, arrival) => {
          if (options.audio === false) return;
          // The video clock's mapping of pts to wall time: the audio's pts go on the same timeline.
          const video = this.lastLive;
          const offset = video ? video.wallTime - (video.pts * 1000) / VIDEO_CLOCK_RATE : 0;
          this.audioTrack.publish(unit, arrival, offset, this.videoSourceOffset);
        },
        runStarted: () => {
          // A new run's source times start afresh: its audio waits for its first video unit's offset.
          this.videoSourceOffset = undefined;
          this.audioTrack.reset();
        },
      },
      log,
    );
    this.tracks = new CameraTracks(
      { ...options, supervisor: options },
      this.capture,
      {
        native: () => this.nativeCodec.codec,
        online: () => this.state === 'online',
        broken: (entry, consumer) => this.consumerRemoved(entry, consumer),
      },
      log,
    );
    this.placeholder = new PlaceholderTicker(
      renderPlaceholder,
      () => this.size,
      options.placeholderIntervalMs ?? 1000,
      (jpeg, size) => {
        const jpegTrack = this.tracks.get('jpeg').track;
        if (this.state !== 'offline' || jpegTrack.consumers.size === 0) return false;
        jpegTrack.publish(jpegConfig(size.width, size.height), true, jpeg, preciseNow(), true);
        return true;
      },
    );
    this.capture.init();
  }

  get state(): CameraState {
    return this.capture.state;
  }

  get status(): CameraStatus {
    return this.capture.status;
  }

  get counters(): CameraCounters {
    return this.capture.counters;
  }

  /** The codec the camera itself produces (undefined until its first unit). */
  get native(): Codec | undefined {
    return this.nativeCodec.codec;
  }

  /**
   * The codec the camera produces, starting it to find out if no unit has told yet (an idle on-demand
   * camera): undefined if it does not say within timeoutMs or goes offline first. Only the source
   * runs for it, no transcoder.
   */
  knownNative(timeoutMs = this.options.snapshotTimeoutMs): Promise<Codec | undefined> {
    return this.nativeCodec.known(timeoutMs, !this.closed && this.state !== 'offline');
  }

  /** The newest unit from the camera itself: its size, its last-frame time. */
  get lastLive(): AccessUnit | undefined {
    const native = this.native;
    return native ? this.tracks.get(native).track.latestLive : undefined;
  }

  get consumerCount(): number {
    return this.tracks.consumerCount;
  }

  /** Consumers that watch (not background ones, such as a recorder). */
  get watcherCount(): number {
    return this.tracks.watcherCount;
  }

  /** Whether the camera can have an H.264 sub-stream: its own second URL, or a transcoder factory. */
  get hasSub(): boolean {
    return this.has('sub');
  }

  /** The sub track is made and delivering (for a viewer deciding whether to wait for it). */
  get subLive(): boolean {
    return this.isLive('sub');
  }

  /** Whether the camera can have the `quality` H.264 stream (main: always; sub, low: when something makes it). */
  has(quality: Quality): boolean {
    return quality === 'main' || this.tracks.has('h264', quality);
  }

  /** The `quality` H.264 track is made and delivering (main: the camera is online). */
  isLive(quality: Quality): boolean {
    if (quality === 'main') return this.state === 'online';
    return this.tracks.producerOf(this.tracks.get('h264', quality))?.live ?? false;
  }

  /** Bits per second of a track over the last whole second (0 when it is not running). */
  bitrate(codec: Codec, quality: Quality = 'main'): number {
    return this.tracks.get(codec, quality).track.bitrate(preciseNow());
  }

  get size(): { width: number; height: number } | undefined {
    const config = this.lastLive?.config;
    return config ? { width: config.width, height: config.height } : this.options.expectedSize;
  }

  get snapshotTimeoutMs(): number {
    return this.options.snapshotTimeoutMs;
  }

  /** The transcoders started so far for the camera's derived tracks. */
  get transcoderStarts(): number {
    return this.tracks.transcoderStarts;
  }

  /**
   * Adds a consumer of the camera's `codec` track at `quality` (only H.264 has more than `main`); returns the
   * function that removes it. Starts the source if it is idle, and the track's producer if it is not the capture.
   */
  subscribe(consumer: Consumer, codec: Codec = 'jpeg', quality: Quality = 'main'): () => void {
    if (this.closed) throw new Error(`camera ${this.id} is closed`);
    const entry = this.tracks.get(codec, quality);
    entry.track.consumers.add(consumer);
    this.capture.wanted();
    const producer = this.tracks.producerOf(entry);
    if (producer !== this.capture) producer?.wanted(this.tracks.nativeCached());
    if (codec === 'jpeg' && this.state === 'offline') this.placeholder.start();
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      if (!entry.track.consumers.delete(consumer)) return;
      this.consumerRemoved(entry, consumer);
    };
  }

  /**
   * Adds a consumer of the camera's audio (none flows for a camera without): from the next unit on. It does
   * not start the camera by itself: audio goes with a video consumer (a viewer, a recorder). Returns the
   * function that removes it.
   */
  subscribeAudio(consumer: AudioConsumer): () => void {
    if (this.closed) throw new Error(`camera ${this.id} is closed`);
    this.audioTrack.consumers.add(consumer);
    return () => void this.audioTrack.consumers.delete(consumer);
  }

  /** The camera's audio configuration, once its first audio unit came (undefined for a camera without). */
  get audioConfig(): AudioConfig | undefined {
    return this.options.audio === false ? undefined : this.audioTrack.config;
  }

  /**
   * Adds a consumer of the camera's own video as it comes: its H.264 or H.265 track (H.264 for a camera that
   * sends JPEG, encoded), settled by the camera's first unit (native-codec.ts). Returns the function that
   * removes it.
   */
  subscribeVideo(consumer: Consumer): () => void {
    return this.nativeCodec.subscribeVideo(consumer);
  }

  /**
   * Sends a consumer what it needs to show a picture at once: the current GOP of an H.264 track, the latest
   * picture of a JPEG track (a placeholder while offline). Nothing while the camera is (re)starting from
   * idle: what is left from an earlier run may be hours old.
   */
  catchUp(consumer: Consumer, codec: Codec = 'jpeg', quality: Quality = 'main'): void {
    if (this.state === 'online' || this.state === 'offline') this.tracks.get(codec, quality).track.catchUp(consumer);
  }

  /** A viewer measured a round trip (ms), from its ack. */
  viewerRtt(ms: number): void {
    this.viewerEvents?.rtt(this.id, ms);
  }

  /** The statistics of each viewer (counted once while it changes quality). */
  viewers(): ViewerStats[] {
    const out: ViewerStats[] = [];
    for (const consumer of this.tracks.consumers()) {
      const stats = consumer.stats?.();
      if (stats) out.push(stats);
    }
    return out;
  }

  /**
   * The camera's current live picture of `codec` (a keyframe for H.264 is not promised: snapshots use jpeg),
   * or the next one within timeoutMs (starting an on-demand camera, or the JPEG decoder of an H.264 camera,
   * for it). Undefined if none comes in time, and at once while the camera is offline (failed, restarting
   * with backoff): waiting would only delay NO SIGNAL.
   */
  async liveUnit(codec: Codec = 'jpeg', timeoutMs = this.options.snapshotTimeoutMs): Promise<AccessUnit | undefined> {
    const entry = this.tracks.get(codec);
    const latest = entry.track.latest;
    const fresh = this.tracks.producerOf(entry)?.live ?? false;
    if (this.state === 'online' && latest && !latest.placeholder && fresh) return latest;
    if (this.state === 'offline') return undefined;
    return nextLiveUnit((consumer) => this.subscribe(consumer, codec), timeoutMs);
  }

  /** The NO SIGNAL picture for the current outage, as a JPEG unit (not sent to anyone). */
  async placeholderUnit(): Promise<AccessUnit> {
    const { jpeg, size } = await this.placeholder.current();
    const config = jpegConfig(size.width, size.height);
    const seq = this.tracks.get('jpeg').track.latest?.seq ?? 0;
    const capturedAt = preciseNow();
    const ticks = Math.round((capturedAt * VIDEO_CLOCK_RATE) / 1000);
    return {
      seq,
      config,
      keyframe: true,
      capturedAt,
      pts: ticks,
      dts: ticks,
      wallTime: capturedAt,
      data: jpeg,
      placeholder: true,
    };
  }

  fps(): number {
    return this.capture.fps();
  }

  /** Total offline time in ms, the outage in progress included. */
  offlineMs(): number {
    return this.capture.offlineMs();
  }

  /** The source can work again (a relayed camera's edge is back): restart now, not after the backoff. */
  retryNow(): void {
    this.capture.retryNow();
  }

  /** CPU seconds the capture process used so far (read now); undefined for a source without a process. */
  captureCpuSeconds(): number | undefined {
    return this.capture.cpuSeconds();
  }

  /** CPU seconds the transcoder of the derived `codec` track used so far (read now); undefined if it never ran. */
  transcoderCpuSeconds(codec: Codec): number | undefined {
    const producer = this.tracks.get(codec).producer;
    return producer?.origin === 'derived' ? producer.cpuSeconds() : undefined;
  }

  /** The tracks' details; `cpu: false` leaves out the CPU seconds (not read from /proc then). */
  trackInfo(options: { cpu?: boolean } = {}): TrackInfo[] {
    return describeTracks(this.tracks, options);
  }

  info(): CameraInfo {
    return describeCamera({
      id: this.id,
      name: this.name,
      kind: this.kind,
      alwaysOn: this.options.alwaysOn,
      state: this.state,
      status: this.status,
      failure: this.capture.failure,
      size: this.size,
      native: this.native,
      lastFrameAt: this.lastLive?.capturedAt,
      tracks: this.tracks,
      fps: () => this.fps(),
      viewerCount: () => this.viewers().length,
      audio: () => (this.options.audio === false ? null : this.audioTrack.info()),
    });
  }

  /** Stops the source, the transcoders and every timer; consumers are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    for (const consumer of this.tracks.drain()) this.reportLeft(consumer);
    this.placeholder.stop();
    this.placeholder.drop();
    await Promise.all([this.capture.close(), this.tracks.close()]);
  }

  private onStateChange(state: CameraState): void {
    if (state === 'online') {
      this.placeholder.stop();
      this.placeholder.drop();
    } else if (state === 'offline') {
      this.placeholder.drop();
      this.tracks.offline();
    } else {
      this.placeholder.stop();
      this.placeholder.drop();
      this.tracks.idle();
      return;
    }
    this.tracks.tell(this.status);
    if (state === 'offline' && this.tracks.get('jpeg').track.consumers.size > 0) this.placeholder.start();
  }

  /** A consumer is out of a track (it left or broke): its counts to the metrics, demand re-checked. */
  private consumerRemoved(entry: TrackEntry, consumer: Consumer): void {
    // A viewer that moved from one quality to another has not left.
    if (!this.tracks.holds(consumer)) this.reportLeft(consumer);
    if (this.closed) return;
    entry.producer?.unwanted(); // a transcoder, or the camera's sub-stream (the capture is told below)
    if (entry.codec === 'jpeg' && entry.track.consumers.size === 0) this.placeholder.stop();
    this.capture.unwanted();
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
