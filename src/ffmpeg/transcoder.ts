/**
 * A transcoder: one supervised ffmpeg that turns a camera's units into
 * another codec, for the viewers that need it. `to: 'h264'` takes JPEGs and
 * encodes them with the chosen H.264 encoder (encoders.ts), or H.265 (`from: 'h265'`), decoded
 * and encoded again; `to: 'jpeg'` takes H.264 or H.265 (length-prefixed) and decodes it to JPEGs.
 * Nothing encodes H.265. What comes out is parsed as a
 * camera's output is (the H.264 access-unit stream, the mpjpeg parser) and
 * handed to the sink as SourceUnits.
 *
 * push() never blocks and never buffers much: one write at a time goes to
 * ffmpeg, and at most maxBacklogUnits units (and maxBacklogBytes bytes) wait
 * for it; beyond that a unit is dropped and counted. JPEGs: a few wait (3).
 * H.264 and H.265: at most one group of pictures waits (the hub hands a new transcoder
 * the cached GOP at once, which must be decoded whole to reach the newest
 * picture), a newer keyframe replaces whatever still waits, and after a drop
 * everything up to the next keyframe is dropped too (a picture without its
 * references would decode broken). A
 * new input configuration (another picture size) restarts ffmpeg; an ffmpeg
 * that dies ends the transcoder with a reason (sink.ended), like a source.
 *
 * A sub-stream (`maxWidth`) is H.264 too, scaled down: from a camera's JPEGs,
 * or from its H.264 (`from: 'h264'`: decoded, scaled, encoded again).
 */
import type { Logger } from 'pino';
import { joinAnnexB, splitAvc } from '../codec/annexb.js';
import { readJpegSize } from '../codec/jpeg.js';
import { NalStream } from '../codec/nal-stream.js';
import { isNalCodec, NAL_CODECS, type NalCodecSupport } from '../codec/video.js';
import type { Codec, SourceSink, SourceUnit, TrackConfig } from '../media/index.js';
import { jpegConfig } from '../media/jpeg.js';
import { ArrivalRate } from './arrival-rate.js';
import { nalFraming, passthroughTiming } from './capabilities.js';
import { resolveEncoder } from './encoder-choice.js';
import type { Encoder, EncoderChoice } from './encoders.js';
import { locateFfmpeg } from './locate.js';
import { MpjpegParser } from './mpjpeg-parser.js';
import {
  FFMPEG_FORMAT,
  MPJPEG_BOUNDARY,
  nalOutputParser,
  nalSourceUnit,
  type NalFraming,
  type PacketTime,
} from './output.js';
import { superviseFfmpeg, type FfmpegChild } from './process.js';
import { transcodeArgs } from './transcode-args.js';

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
/** The frame rate ffmpeg's mpjpeg and raw H.264/H.265 demuxers assume. */
const ASSUMED_FPS = 25;
/** A write ffmpeg has not taken for this long: it is stuck. */
const STALL_MS = 10_000;

/** A JPEG as one part of the mpjpeg container: ffmpeg takes it by its length, at once. */
function mpjpegPart(jpeg: Buffer): Buffer {
  const head = `--${MPJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), jpeg, Buffer.from('\r\n')]);
}

class FfmpegTranscoder implements Transcoder {
  readonly counters: TranscoderCounters = { unitsIn: 0, unitsOut: 0, dropped: 0, restarts: 0 };
  private readonly from: Codec;
  /** The input's codec, when it is H.264 or H.265 (not JPEG). */
  private readonly video: NalCodecSupport | undefined;
  /** ffmpeg's name of the input's format. */
  private readonly inputFormat: string;
  private sink: SourceSink | undefined;
  private generation = 0;
  private encoder: Encoder | undefined;
  /** How ffmpeg hands the encoded H.264 over (capabilities.ts). */
  private framing: NalFraming = 'mpjpeg';
  /** The encoder's timestamps of the packet being read (MPEG-TS framing). */
  private readonly outTime: PacketTime = {};
  /** How this ffmpeg passes timestamps through (capabilities.ts). */
  private timing: string[] = ['-vsync', 'passthrough'];
  private ready = false;
  /** Units waiting for ffmpeg to take them (or to start): bounded by maxBacklogUnits and maxBacklogBytes. */
  private queue: SourceUnit[] = [];
  private queuedBytes = 0;
  /** Bytes of the one write ffmpeg has not taken yet (0: none). */
  private writing = 0;
  private writingSince = 0;
  private child: FfmpegChild | undefined;
  /** The input configuration the running child was started for. */
  private childConfig: TrackConfig | undefined;
  private needKeyframe = true;
  private h264Out: NalStream | undefined;
  private parameterSets = new WeakMap<TrackConfig, Uint8Array[]>();
  /** To H.264 without a configured frame rate: the rate units come at (the encoder's rate control needs it). */
  private readonly arrivals = new ArrivalRate();
  /** The frame rate the running child's encoder was told (undefined: none, ffmpeg's guess). */
  private childFps: number | undefined;
  private rateRestartAt = 0;
  private stopping: Promise<void>[] = [];

  constructor(
    private readonly to: Codec,
    private readonly options: TranscodeOptions,
    private readonly log: Logger,
  ) {
    this.from = options.from ?? (to === 'h264' ? 'jpeg' : 'h264');
    this.video = isNalCodec(this.from) ? NAL_CODECS[this.from] : undefined;
    this.inputFormat = isNalCodec(this.from) ? FFMPEG_FORMAT[this.from] : 'mpjpeg';
  }

  get backlog(): { units: number; bytes: number } {
    return { units: this.queue.length + (this.writing ? 1 : 0), bytes: this.queuedBytes + this.writing };
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
    this.clearQueue();
    this.needKeyframe = true;
    this.h264Out = undefined; // a stream that gave up stays ended: a new run gets a new one
    let binary: string;
    try {
      binary = this.options.binary ?? locateFfmpeg().path;
    } catch (err) {
      this.end((err as Error).message);
      return;
    }
    const encoder = this.to === 'h264' ? resolveEncoder(this.options.encoder ?? 'auto', binary, this.log) : undefined;
    void Promise.all([encoder, nalFraming(binary), passthroughTiming(binary)]).then(([chosen, framing, timing]) => {
      this.encoder = chosen;
      this.framing = framing;
      this.timing = timing;
      this.becomeReady(generation);
    });
  }

  push(unit: SourceUnit): void {
    this.counters.unitsIn++;
    if (!this.sink || unit.config.codec !== this.from) {
      this.counters.dropped++;
      return;
    }
    if (this.video) {
      if (unit.keyframe && this.queue.length > 0) {
        // A newer group of pictures: what still waits of the older one is not worth decoding.
        this.counters.dropped += this.queue.length;
        this.queue = [];
        this.queuedBytes = 0;
      } else if (this.needKeyframe && !unit.keyframe) {
        this.counters.dropped++;
        return;
      }
    }
    const stallMs = this.options.stallTimeoutMs ?? STALL_MS;
    if (this.writing && this.child && Date.now() - this.writingSince > stallMs) {
      // ffmpeg stopped reading (hung on a device, a decoder stuck): end it, the hub starts another.
      this.child.fail(`ffmpeg took no input for ${stallMs / 1000} s`);
    }
    const maxUnits = this.options.maxBacklogUnits ?? (this.video ? 150 : 3);
    const maxBytes = this.options.maxBacklogBytes ?? 8 * 1024 * 1024;
    const backlog = this.backlog;
    if (backlog.units >= maxUnits || (backlog.units > 0 && backlog.bytes + unit.data.length > maxBytes)) {
      this.counters.dropped++;
      if (this.video) this.needKeyframe = true;
      return;
    }
    this.needKeyframe = false;
    this.arrivals.tick(Date.now());
    this.queue.push(unit);
    this.queuedBytes += unit.data.length;
    this.pump();
  }

  async stop(): Promise<void> {
    this.generation++;
    this.sink = undefined;
    this.ready = false;
    this.clearQueue();
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
      this.queuedBytes -= unit.data.length;
      if (this.child && this.changed(unit.config)) {
        this.counters.restarts++;
        this.stopChild();
      } else if (this.child && (!this.video || unit.keyframe) && this.rateChanged()) {
        // The encoder was told another frame rate than the units come at: its bitrate would be off by as much.
        this.log.debug(
          { camera: this.options.label, from: this.childFps, to: this.arrivals.fps() },
          'frame rate known',
        );
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
      const bytes = this.video ? this.annexB(this.video, unit) : mpjpegPart(unit.data);
      const stdin = this.child.stdin;
      if (!bytes || !stdin || stdin.destroyed || !stdin.writable) {
        this.counters.dropped++;
        // Malformed H.264: what follows refers to it; on to the next keyframe (one that is queued, or a new one).
        if (this.video) this.dropUntilKeyframe();
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

  /** Drops the waiting units before the next waiting keyframe; none: the next pushed one must be a keyframe. */
  private dropUntilKeyframe(): void {
    const next = this.queue.findIndex((u) => u.keyframe);
    const dropped = next < 0 ? this.queue.length : next;
    for (const unit of this.queue.splice(0, dropped)) this.queuedBytes -= unit.data.length;
    this.counters.dropped += dropped;
    if (next < 0) this.needKeyframe = true;
  }

  private clearQueue(): void {
    this.queue = [];
    this.queuedBytes = 0;
  }

  /**
   * To H.264 with no frame rate configured: is the one measured now 10 % off the one the encoder was told
   * (none: ffmpeg's demuxers assume 25)? At most every 30 s. A JPEG input restarts at once, H.264 or H.265 at
   * a keyframe: once at the start of a camera that does not send 25 a second, a short gap.
   */
  private rateChanged(): boolean {
    if (this.to !== 'h264' || this.options.fps) return false;
    const measured = this.arrivals.fps();
    if (measured === undefined || Date.now() - this.rateRestartAt < 30_000) return false;
    return Math.abs(measured / (this.childFps ?? ASSUMED_FPS) - 1) > 0.1;
  }

  /** Does this input configuration need another ffmpeg (another size, other parameter sets)? */
  private changed(config: TrackConfig): boolean {
    const old = this.childConfig;
    if (!old || old === config) return false;
    if (old.width !== config.width || old.height !== config.height) return true;
    // JPEG: same size, same pictures. H.264, H.265: new parameter sets restart the decoder cleanly.
    return this.video !== undefined;
  }

  /**
   * One H.264 or H.265 access unit as ffmpeg reads it: Annex B, parameter sets before a keyframe,
   * a delimiter after.
   */
  private annexB(video: NalCodecSupport, unit: SourceUnit): Uint8Array | undefined {
    let nalus: Uint8Array[];
    try {
      // NAL units of a length-prefixed unit are never empty (splitAvc throws first).
      nalus = splitAvc(unit.data).filter((nal) => video.rules.type(nal[0]!) !== video.audType);
    } catch {
      return undefined;
    }
    if (unit.keyframe && !nalus.some((nal) => video.rules.parameterSet(video.rules.type(nal[0]!)) === 'sps')) {
      const sets = this.setsOf(video, unit.config);
      if (!sets) return undefined;
      nalus = [...sets, ...nalus];
    }
    return joinAnnexB([...nalus, video.aud]);
  }

  private setsOf(video: NalCodecSupport, config: TrackConfig): Uint8Array[] | undefined {
    let sets = this.parameterSets.get(config);
    if (!sets) {
      if (!config.description) return undefined;
      try {
        sets = video.parameterSets(config.description);
      } catch {
        return undefined;
      }
      this.parameterSets.set(config, sets);
    }
    return sets;
  }

  private spawn(config: TrackConfig): void {
    let binary: string;
    try {
      binary = this.options.binary ?? locateFfmpeg().path;
    } catch (err) {
      this.end((err as Error).message);
      return;
    }
    const maxUnitBytes = this.options.maxUnitBytes ?? DEFAULT_MAX_UNIT_BYTES;
    const label = `transcoder ${this.options.label}`;
    let onStdout: (chunk: Buffer) => void;
    let onClose: () => void;
    if (this.to === 'h264') {
      const time = this.outTime;
      this.h264Out ??= new NalStream((unit) => this.out(nalSourceUnit(unit, time)), {
        maxAccessUnitBytes: maxUnitBytes,
        log: this.log,
        label,
        onFatal: (reason) => this.child?.fail(reason),
      });
      const out = this.h264Out;
      const parser = nalOutputParser(out, maxUnitBytes, this.framing, time);
      onStdout = (chunk) => parser.push(chunk);
      // Only this child's mpjpeg parser: the stream is shared with the next child (it keeps nothing
      // between packets; a raw stream's splitter is reset when the child is stopped, in stopChild()).
      onClose = this.framing !== 'raw' ? () => parser.reset() : () => {};
    } else {
      const parser = new MpjpegParser(
        (jpeg) => {
          const size = readJpegSize(jpeg);
          if (size) this.out({ config: jpegConfig(size.width, size.height), keyframe: true, data: jpeg });
        },
        { boundary: MPJPEG_BOUNDARY, maxFrameBytes: maxUnitBytes },
      );
      onStdout = (chunk) => parser.push(chunk);
      onClose = () => parser.reset();
    }
    const args = this.args(config);
    this.log.debug({ camera: this.options.label, to: this.to, encoder: this.encoder, args }, 'starting transcoder');
    const generation = this.generation;
    const child: FfmpegChild = superviseFfmpeg(binary, args, {
      stdin: true,
      onStdout,
      onClose,
      onExit: (reason) => {
        if (child !== this.child || generation !== this.generation) return;
        this.child = undefined;
        this.end(`transcoder to ${this.to}: ${reason}`);
      },
    });
    this.child = child;
    this.childConfig = config;
  }

  private args(config: TrackConfig): string[] {
    const fps = this.options.fps ?? this.arrivals.fps();
    this.childFps = fps;
    return transcodeArgs({
      to: this.to,
      config,
      inputFormat: this.inputFormat,
      fromVideo: this.video !== undefined,
      timing: this.timing,
      framing: this.framing,
      encoder: this.encoder ?? 'libx264',
      fps,
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
    this.writing = 0;
    if (this.framing === 'raw') this.h264Out?.reset();
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
    this.clearQueue();
    this.stopChild();
    this.generation++;
    this.log.warn({ camera: this.options.label, to: this.to, ...this.counters }, `transcoder ended: ${reason}`);
    sink?.ended(reason);
  }
}
