/**
 * A transcoder: one supervised ffmpeg that turns a camera's units into another codec, for the viewers that
 * need it. `to: 'h264'` takes JPEGs and encodes them with the chosen H.264 encoder (encoders.ts), or H.264 or
 * H.265 (`from`), decoded and encoded again (a sub-stream, `maxWidth`: scaled down); `to: 'jpeg'` takes H.264
 * or H.265 and decodes it to JPEGs. Nothing encodes H.265.
 *
 * Each unit goes in with its pts (transcode-input.ts: Matroska on stdin) and what comes out carries the
 * same pts (MPEG-TS on stdout, transcode-args.ts): the output is timed by the input's clock, never by when
 * ffmpeg read or wrote it. A unit without a pts is given its arrival. What comes out is parsed as a camera's
 * output is (the access-unit stream; JPEGs) and handed to the sink as SourceUnits.
 *
 * push() never blocks and never buffers much: one write at a time goes to ffmpeg, and a bounded queue
 * waits for it (transcode-queue.ts). A new input configuration (another picture size) restarts ffmpeg;
 * an ffmpeg that dies ends the transcoder with a reason (sink.ended), like a source.
 */
import type { Logger } from 'pino';
import { isNalCodec } from '../codec/video.js';
import type { Codec, SourceSink, SourceUnit, TrackConfig } from '../media/index.js';
import { VIDEO_CLOCK_RATE } from '../media/index.js';
import { InputRate } from './input-rate.js';
import { encoderTimeBase, passthroughTiming } from './capabilities.js';
import { resolveEncoder } from './encoder-choice.js';
import type { Encoder, EncoderChoice } from './encoders.js';
import { locateFfmpeg } from './locate.js';
import { superviseFfmpeg, type FfmpegChild } from './process.js';
import { transcodeArgs } from './transcode-args.js';
import { TimedInput } from './transcode-input.js';
import { TranscodeOutput } from './transcode-output.js';
import { TranscodeQueue } from './transcode-queue.js';

export interface TranscodeOptions {
  /** Names the transcoder in logs (the camera id). */
  label: string;
  /** To H.264: the encoder (`auto` probes once per process). Default auto. */
  encoder?: EncoderChoice;
  /** To H.264: kbit/s; by default from the picture size (defaultBitrate). */
  bitrate?: number;
  /** To H.264: seconds between keyframes (at most 2). Default 1. */
  keyframeInterval?: number;
  /** To H.264: the input's frame rate when known (the GOP in frames; keyframes are forced by time anyway). */
  fps?: number;
  /** To H.264: at most this wide, the aspect kept (a sub-stream). Default: the input's size. */
  maxWidth?: number;
  /** To H.264: at most this many pictures a second (the others dropped before encoding). Default: all. */
  maxFps?: number;
  /** The input's codec: by default the other one (JPEG to H.264, H.264 to JPEG); H.264 to H.264 scales; H.265 to either. */
  from?: Codec;
  /** To JPEG: quality 1..100. Default 80. */
  quality?: number;
  /** Largest unit accepted from ffmpeg (and fed to it). Default 8 MiB. */
  maxUnitBytes?: number;
  /** Units waiting for ffmpeg (the one being written included), at most. Default 3 for JPEG, 150 for H.264. */
  maxBacklogUnits?: number;
  /** Bytes of those, at most. Default 8 MiB (a unit bigger than that alone is still taken). */
  maxBacklogBytes?: number;
  /** A write ffmpeg has not taken for this long ends the transcoder (checked as units come). Default 10 s. */
  stallTimeoutMs?: number;
  /** The ffmpeg binary; locateFfmpeg() by default. */
  binary?: string;
}

export interface TranscoderCounters {
  unitsIn: number;
  unitsOut: number;
  /** Input units never given to ffmpeg: backlog full, waiting for a keyframe, wrong codec, malformed. */
  dropped: number;
  /** ffmpeg started again for a new input configuration. */
  restarts: number;
}

export interface Transcoder {
  readonly counters: TranscoderCounters;
  /** Units (and their bytes) written to ffmpeg and not yet taken by it, or waiting for it to start. */
  readonly backlog: { units: number; bytes: number };
  /** The running ffmpeg's pid, if any. */
  readonly pid: number | undefined;
  /** To H.264: the encoder in use (what `auto` chose), once chosen; to JPEG: undefined. */
  readonly encoderInUse: string | undefined;
  /** Begins; units come out to sink. Called again only after stop() resolved or sink.ended(). */
  start(sink: SourceSink): void;
  /** One input unit; never blocks (dropped and counted when ffmpeg lags behind). */
  push(unit: SourceUnit): void;
  /** Ends it; resolves once ffmpeg is gone. */
  stop(): Promise<void>;
}

export function createTranscoder(to: Codec, options: TranscodeOptions, log: Logger): Transcoder {
  if (to === 'h265') throw new Error('no transcoder makes H.265: only a camera sends it');
  return new FfmpegTranscoder(to, options, log);
}

const DEFAULT_MAX_UNIT_BYTES = 8 * 1024 * 1024;
/** The frame rate the encoder is told while the input's is not known yet (ffmpeg's usual guess). */
const ASSUMED_FPS = 25;
/** A write ffmpeg has not taken for this long: it is stuck. */
const STALL_MS = 10_000;

class FfmpegTranscoder implements Transcoder {
  readonly counters: TranscoderCounters = { unitsIn: 0, unitsOut: 0, dropped: 0, restarts: 0 };
  private readonly from: Codec;
  /** The input is H.264 or H.265 (pictures refer to others), not JPEG. */
  private readonly video: boolean;
  private sink: SourceSink | undefined;
  private generation = 0;
  private encoder: Encoder | undefined;
  /** The running child's input, which maps its output's times back to the input's clock. */
  private input: TimedInput | undefined;
  /** How this ffmpeg passes timestamps through (capabilities.ts). */
  private timing: string[] = ['-vsync', 'passthrough'];
  /** Whether its encoders take a 90 kHz time base (capabilities.ts). */
  private encoderTimeBase = true;
  private ready = false;
  private readonly queue: TranscodeQueue;
  /** Bytes of the one write ffmpeg has not taken yet (0: none). */
  private writing = 0;
  private writingSince = 0;
  private child: FfmpegChild | undefined;
  /** The input configuration the running child was started for. */
  private childConfig: TrackConfig | undefined;
  private readonly output: TranscodeOutput;
  /** To H.264 without a configured frame rate: the input's, from its pts (the encoder's rate control needs it). */
  private readonly rate = new InputRate();
  /** The frame rate the running child's encoder was told (undefined: none known, ASSUMED_FPS). */
  private childFps: number | undefined;
  private rateRestartAt = 0;
  /** The last time given to a unit that came without one. */
  private lastArrivalPts = 0;
  private stopping: Promise<void>[] = [];

  constructor(
    private readonly to: Codec,
    private readonly options: TranscodeOptions,
    private readonly log: Logger,
  ) {
    this.from = options.from ?? (to === 'h264' ? 'jpeg' : 'h264');
    this.video = isNalCodec(this.from);
    this.output = new TranscodeOutput(to === 'jpeg' ? 'jpeg' : 'h264', {
      maxUnitBytes: options.maxUnitBytes ?? DEFAULT_MAX_UNIT_BYTES,
      log,
      label: `transcoder ${options.label}`,
      unit: (unit) => this.out(unit),
      fatal: (reason) => this.child?.fail(reason),
    });
    this.queue = new TranscodeQueue(
      this.video,
      {
        maxUnits: options.maxBacklogUnits ?? (this.video ? 150 : 3),
        maxBytes: options.maxBacklogBytes ?? 8 * 1024 * 1024,
      },
      this.counters,
    );
  }

  get backlog(): { units: number; bytes: number } {
    return { units: this.queue.length + (this.writing ? 1 : 0), bytes: this.queue.queuedBytes + this.writing };
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get encoderInUse(): string | undefined {
    return this.to === 'h264' ? this.encoder : undefined;
  }

  start(sink: SourceSink): void {
    const generation = ++this.generation;
    this.sink = sink;
    this.ready = false;
    this.queue.reset();
    this.output.reset();
    let binary: string;
    try {
      binary = this.options.binary ?? locateFfmpeg().path;
    } catch (err) {
      this.end((err as Error).message);
      return;
    }
    const encoder = this.to === 'h264' ? resolveEncoder(this.options.encoder ?? 'auto', binary, this.log) : undefined;
    const degraded = (reason: string): void => this.log.warn({ camera: this.options.label }, reason);
    void Promise.all([encoder, passthroughTiming(binary), encoderTimeBase(binary, degraded)]).then(
      ([chosen, timing, timeBase]) => {
        this.encoder = chosen;
        this.timing = timing;
        this.encoderTimeBase = timeBase;
        this.becomeReady(generation);
      },
    );
  }

  push(unit: SourceUnit): void {
    this.counters.unitsIn++;
    if (!this.sink || unit.config.codec !== this.from) {
      this.counters.dropped++;
      return;
    }
    const stallMs = this.options.stallTimeoutMs ?? STALL_MS;
    if (this.writing && this.child && Date.now() - this.writingSince > stallMs) {
      // ffmpeg stopped reading (hung on a device, a decoder stuck): end it, the hub starts another.
      this.child.fail(`ffmpeg took no input for ${stallMs / 1000} s`);
    }
    // A unit without a time of its own is timed by its arrival (a producer that knows none), strictly later
    // than the last one (a burst arrives within a millisecond).
    let timed = unit;
    if (unit.pts === undefined || !Number.isFinite(unit.pts)) {
      const pts = Math.max(Math.round((Date.now() * VIDEO_CLOCK_RATE) / 1000), this.lastArrivalPts + 1);
      this.lastArrivalPts = pts;
      timed = { ...unit, pts, dts: undefined };
    }
    if (!this.queue.offer(timed, this.writing)) return;
    // The input's rate from its decode times (a B-frame camera's pts come out of order).
    this.rate.tick(((timed.dts ?? timed.pts!) * 1000) / VIDEO_CLOCK_RATE);
    this.pump();
  }

  async stop(): Promise<void> {
    this.generation++;
    this.sink = undefined;
    this.ready = false;
    this.queue.reset();
    this.stopChild();
    await Promise.all(this.stopping);
  }

  private becomeReady(generation: number): void {
    if (generation !== this.generation) return;
    this.ready = true;
    this.pump();
  }

  /** Writes the next waiting unit once ffmpeg has taken the one before (one write outstanding at most). */
  private pump(): void {
    while (this.ready && !this.writing && this.queue.length > 0) {
      const unit = this.queue.shift()!;
      if (this.child && this.changed(unit.config)) {
        this.counters.restarts++;
        this.stopChild();
      } else if (this.child && (!this.video || unit.keyframe) && this.rateChanged()) {
        // The encoder was told another frame rate than the input has: its bitrate would be off by as much.
        this.log.debug({ camera: this.options.label, from: this.childFps, to: this.rate.fps() }, 'frame rate known');
        this.rateRestartAt = Date.now();
        this.stopChild();
      }
      if (this.video && !this.child && !unit.keyframe) {
        // A decoder starts at a keyframe.
        this.counters.dropped++;
        continue;
      }
      if (!this.child) {
        this.spawn(unit.config);
        if (!this.child) return;
      }
      const input = this.input!;
      const bytes = input.started ? input.frame(unit) : input.first(unit);
      const stdin = this.child.stdin;
      if (!bytes || !stdin || stdin.destroyed || !stdin.writable) {
        this.counters.dropped++;
        // What follows refers to it: on to the next keyframe (one that is queued, or a new one).
        if (this.video) this.queue.dropUntilKeyframe();
        continue;
      }
      const child = this.child;
      this.writing = bytes.length;
      this.writingSince = Date.now();
      stdin.write(bytes, () => {
        if (child !== this.child) return;
        this.writing = 0;
        this.pump();
      });
    }
  }

  /**
   * To H.264 with no frame rate configured: is the input's, measured now, 10 % off the one the encoder was
   * told (none: ASSUMED_FPS)? At most every 30 s. A JPEG input restarts at once, H.264 or H.265 at a keyframe:
   * once at the start of a camera that does not send 25 a second, a short gap.
   */
  private rateChanged(): boolean {
    if (this.to !== 'h264' || this.options.fps) return false;
    const measured = this.rate.fps();
    if (measured === undefined || Date.now() - this.rateRestartAt < 30_000) return false;
    return Math.abs(measured / (this.childFps ?? ASSUMED_FPS) - 1) > 0.1;
  }

  /** Does this input configuration need another ffmpeg (another size, other parameter sets)? */
  private changed(config: TrackConfig): boolean {
    const old = this.childConfig;
    if (!old || old === config) return false;
    if (old.width !== config.width || old.height !== config.height) return true;
    // JPEG: same size, same pictures. H.264, H.265: new parameter sets restart the decoder cleanly.
    return this.video;
  }

  private spawn(config: TrackConfig): void {
    let binary: string;
    try {
      binary = this.options.binary ?? locateFfmpeg().path;
    } catch (err) {
      this.end((err as Error).message);
      return;
    }
    const input = new TimedInput(this.from);
    const parser = this.output.parser(input);
    const args = this.args(config);
    this.log.debug({ camera: this.options.label, to: this.to, encoder: this.encoder, args }, 'starting transcoder');
    const generation = this.generation;
    const child: FfmpegChild = superviseFfmpeg(binary, args, {
      stdin: true,
      onStdout: (chunk) => parser.push(chunk),
      onClose: () => parser.reset(),
      onExit: (reason) => {
        if (child !== this.child || generation !== this.generation) return;
        this.child = undefined;
        this.end(`transcoder to ${this.to}: ${reason}`);
      },
    });
    this.child = child;
    this.childConfig = config;
    this.input = input;
  }

  private args(config: TrackConfig): string[] {
    const fps = this.options.fps ?? this.rate.fps();
    this.childFps = fps;
    return transcodeArgs({
      to: this.to,
      config,
      timing: this.timing,
      encoderTimeBase: this.encoderTimeBase,
      encoder: this.encoder ?? 'libx264',
      fps: fps ?? ASSUMED_FPS,
      options: this.options,
    });
  }

  private out(unit: SourceUnit): void {
    if (!this.sink) return;
    this.counters.unitsOut++;
    this.sink.unit(unit);
  }

  private stopChild(): void {
    const child = this.child;
    this.child = undefined;
    this.childConfig = undefined;
    this.input = undefined;
    this.writing = 0;
    if (!child) return;
    const done = child.stop();
    this.stopping.push(done);
    void done.then(() => {
      this.stopping = this.stopping.filter((p) => p !== done);
    });
  }

  private end(reason: string): void {
    const sink = this.sink;
    this.sink = undefined;
    this.ready = false;
    this.queue.reset();
    this.stopChild();
    this.generation++;
    this.log.warn({ camera: this.options.label, to: this.to, ...this.counters }, `transcoder ended: ${reason}`);
    sink?.ended(reason);
  }
}
