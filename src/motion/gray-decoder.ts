/**
 * One camera's decoder for the detector: one ffmpeg fed the camera's access units on stdin (JPEG, H.264
 * or H.265) that writes small grey pictures (`-f rawvideo -pix_fmt gray`, ANALYSIS_WIDTH wide, the aspect
 * kept) at the detector's rate. H.264 and H.265 are decoded whole (a picture needs the ones before it)
 * without the loop filter (blocking edges are averaged away by the analysis' blur, and skipping it saves
 * a good share of the decoding), then thinned by ffmpeg's fps filter on the arrival clock; JPEGs are
 * thinned before they are written (each decodes on its own), so a 30 fps JPEG camera costs 5 decodes a
 * second, not 30.
 *
 * push() never blocks: one write is outstanding at a time, a few units wait (at most one group of
 * pictures for H.264/H.265; a newer keyframe replaces what still waits), the rest is dropped and
 * counted, and after a drop H.264/H.265 waits for the next keyframe. A new picture size restarts ffmpeg.
 * An ffmpeg that ended by itself is started again at a keyframe after a backoff (1 s doubling to 30 s,
 * back to 1 s once a run has given pictures): a stream ffmpeg cannot decode costs a process now and then.
 */
import { joinAnnexB, splitAvc } from '../codec/annexb.js';
import { isNalCodec, NAL_CODECS, type NalCodecSupport } from '../codec/video.js';
import { locateFfmpeg } from '../ffmpeg/locate.js';
import { passthroughTiming } from '../ffmpeg/capabilities.js';
import { FFMPEG_FORMAT, MPJPEG_BOUNDARY } from '../ffmpeg/output.js';
import { superviseFfmpeg, type FfmpegChild } from '../ffmpeg/process.js';
import { Backoff } from '../hub/backoff.js';
import { ProcessCpu } from '../hub/process-cpu.js';
import type { Codec, TrackConfig } from '../media/index.js';

/** Width of the analysed pictures (smaller cameras are analysed at their own width). */
export const ANALYSIS_WIDTH = 320;
/** Units waiting for ffmpeg, at most (H.264/H.265: a group of pictures; JPEG: a couple). */
const MAX_QUEUE_VIDEO = 150;
const MAX_QUEUE_JPEG = 2;
const MAX_QUEUE_BYTES = 8 * 1024 * 1024;

/** The analysed size for a picture of width x height: at most ANALYSIS_WIDTH wide, even, the aspect kept. */
export function analysisSize(width: number, height: number): { width: number; height: number } {
  const w = Math.min(ANALYSIS_WIDTH, width - (width % 2));
  const h = Math.max(8, Math.round((w * height) / width / 2) * 2);
  return { width: w, height: h };
}

export interface GrayFrame {
  width: number;
  height: number;
  /** width x height bytes; reused for the next picture: read it before returning. */
  data: Uint8Array;
  /** Wall time (ms) of the newest unit written before this picture came out. */
  at: number;
}

export interface GrayDecoderOptions {
  fps: number;
  label: string;
  binary?: string;
  onFrame(frame: GrayFrame): void;
  /** ffmpeg ended by itself: the reason in words (the decoder starts again at the next keyframe). */
  onExit(reason: string): void;
}

export interface DecoderInput {
  config: TrackConfig;
  keyframe: boolean;
  data: Buffer;
  /** Wall time (ms) of the picture. */
  at: number;
}

export interface GrayDecoderCounters {
  unitsIn: number;
  dropped: number;
  frames: number;
  starts: number;
}

function mpjpegPart(jpeg: Buffer): Buffer {
  const head = `--${MPJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), jpeg, Buffer.from('\r\n')]);
}

/**
 * `timing`: how this ffmpeg passes timestamps through (capabilities.ts): each decoded picture out once,
 * never repeated to fill a rate the raw input never had.
 */
export function grayDecoderArgs(
  codec: Codec,
  input: { width: number; height: number },
  fps: number,
  timing: readonly string[],
): string[] {
  const out = analysisSize(input.width, input.height);
  const video = isNalCodec(codec);
  const filters = [...(video ? [`fps=${fps}`] : []), `scale=${out.width}:${out.height}:flags=area`, 'format=gray'];
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-probesize',
    '32',
    '-analyzeduration',
    '0',
    '-flags',
    'low_delay',
    ...(video ? ['-skip_loop_filter', 'all', '-flags2', 'fast'] : []),
    '-use_wallclock_as_timestamps',
    '1',
    '-threads',
    '1',
    '-f',
    video ? FFMPEG_FORMAT[codec] : 'mpjpeg',
    '-i',
    'pipe:0',
    '-an',
    '-vf',
    filters.join(','),
    ...timing,
    '-threads',
    '1',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'gray',
    'pipe:1',
  ];
}

export class GrayDecoder {
  readonly counters: GrayDecoderCounters = { unitsIn: 0, dropped: 0, frames: 0, starts: 0 };
  readonly cpu = new ProcessCpu(() => this.child?.pid);
  private child: FfmpegChild | undefined;
  private childConfig: TrackConfig | undefined;
  private queue: DecoderInput[] = [];
  private queuedBytes = 0;
  private writing = false;
  private needKeyframe = true;
  private lastJpegAt = -Infinity;
  private latestAt = 0;
  private frame: Uint8Array = new Uint8Array(0);
  private filled = 0;
  private size = { width: 0, height: 0 };
  private closed = false;
  private readonly parameterSets = new WeakMap<TrackConfig, Uint8Array[]>();
  private readonly backoff = new Backoff(1000, 30_000);
  private framesAtStart = 0;
  /** After ffmpeg ended by itself: no new one before this (ms, Date.now()). */
  private retryAt = 0;
  /** Known once this ffmpeg was asked (capabilities.ts); units wait in the queue until then. */
  private timing: readonly string[] | undefined;

  constructor(private readonly options: GrayDecoderOptions) {}

  push(unit: DecoderInput): void {
    if (this.closed) return;
    this.counters.unitsIn++;
    const video = isNalCodec(unit.config.codec);
    if (!video) {
      // JPEG: only the pictures the rate needs (a little early is fine: the next is analysed on time).
      if (unit.at - this.lastJpegAt < 900 / this.options.fps) return;
      this.lastJpegAt = unit.at;
    } else if (unit.keyframe && this.queue.length > 0) {
      this.counters.dropped += this.queue.length;
      this.queue = [];
      this.queuedBytes = 0;
    } else if (this.needKeyframe && !unit.keyframe) {
      this.counters.dropped++;
      return;
    }
    const max = video ? MAX_QUEUE_VIDEO : MAX_QUEUE_JPEG;
    if (this.queue.length >= max || (this.queue.length > 0 && this.queuedBytes + unit.data.length > MAX_QUEUE_BYTES)) {
      this.counters.dropped++;
      if (video) this.needKeyframe = true;
      return;
    }
    this.needKeyframe = false;
    this.queue.push(unit);
    this.queuedBytes += unit.data.length;
    this.pump();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue = [];
    await this.stopChild();
  }

  private pump(): void {
    if (!this.timing) {
      this.askTiming();
      return;
    }
    while (!this.writing && this.queue.length > 0 && !this.closed) {
      const unit = this.queue.shift()!;
      this.queuedBytes -= unit.data.length;
      const old = this.childConfig;
      if (this.child && old && old !== unit.config) {
        const resized = old.width !== unit.config.width || old.height !== unit.config.height;
        if (resized || old.codec !== unit.config.codec || isNalCodec(old.codec)) void this.stopChild();
        else this.childConfig = unit.config;
      }
      const video = isNalCodec(unit.config.codec) ? NAL_CODECS[unit.config.codec] : undefined;
      if (!this.child) {
        if ((video && !unit.keyframe) || Date.now() < this.retryAt) {
          this.counters.dropped++;
          continue;
        }
        this.spawn(unit.config);
        if (!this.child) return;
      }
      const bytes = video ? this.annexB(video, unit) : mpjpegPart(unit.data);
      const child: FfmpegChild = this.child;
      const stdin = child.stdin;
      if (!bytes || !stdin || stdin.destroyed || !stdin.writable) {
        this.counters.dropped++;
        if (video) this.needKeyframe = true;
        continue;
      }
      this.latestAt = unit.at;
      this.writing = true;
      stdin.write(bytes, () => {
        if (child !== this.child) return;
        this.writing = false;
        this.pump();
      });
    }
  }

  private asking = false;

  private askTiming(): void {
    if (this.asking) return;
    this.asking = true;
    let binary: string;
    try {
      binary = this.options.binary ?? locateFfmpeg().path;
    } catch (err) {
      this.asking = false;
      this.options.onExit((err as Error).message);
      return;
    }
    void passthroughTiming(binary).then((timing) => {
      this.timing = timing;
      this.pump();
    });
  }

  private annexB(video: NalCodecSupport, unit: DecoderInput): Uint8Array | undefined {
    let nalus: Uint8Array[];
    try {
      nalus = splitAvc(unit.data).filter((nal) => video.rules.type(nal[0]!) !== video.audType);
    } catch {
      return undefined;
    }
    if (unit.keyframe && !nalus.some((nal) => video.rules.parameterSet(video.rules.type(nal[0]!)) === 'sps')) {
      let sets = this.parameterSets.get(unit.config);
      if (!sets && unit.config.description) {
        try {
          sets = video.parameterSets(unit.config.description);
          this.parameterSets.set(unit.config, sets);
        } catch {
          return undefined;
        }
      }
      if (!sets) return undefined;
      nalus = [...sets, ...nalus];
    }
    return joinAnnexB([...nalus, video.aud]);
  }

  private spawn(config: TrackConfig): void {
    let binary: string;
    try {
      binary = this.options.binary ?? locateFfmpeg().path;
    } catch (err) {
      this.options.onExit((err as Error).message);
      return;
    }
    this.size = analysisSize(config.width, config.height);
    const bytes = this.size.width * this.size.height;
    if (this.frame.length !== bytes) this.frame = new Uint8Array(bytes);
    this.filled = 0;
    this.framesAtStart = this.counters.frames;
    this.counters.starts++;
    const child: FfmpegChild = superviseFfmpeg(
      binary,
      grayDecoderArgs(config.codec, config, this.options.fps, this.timing ?? []),
      {
        stdin: true,
        onStdout: (chunk) => this.read(chunk),
        onClose: () => {
          this.filled = 0;
        },
        onExit: (reason) => {
          if (child !== this.child) return;
          this.retryAt = Date.now() + this.backoff.next();
          this.child = undefined;
          this.childConfig = undefined;
          this.writing = false;
          this.needKeyframe = true;
          this.options.onExit(reason);
        },
      },
    );
    this.child = child;
    this.childConfig = config;
  }

  /** Cuts stdout into pictures, copied into one buffer (no allocation per picture). */
  private read(chunk: Buffer): void {
    const frame = this.frame;
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(frame.length - this.filled, chunk.length - offset);
      frame.set(chunk.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled < frame.length) break;
      this.filled = 0;
      if (this.counters.frames++ === this.framesAtStart) this.backoff.reset();
      this.options.onFrame({ width: this.size.width, height: this.size.height, data: frame, at: this.latestAt });
    }
  }

  private async stopChild(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.childConfig = undefined;
    this.writing = false;
    if (!child) return;
    this.cpu.sample();
    await child.stop();
  }
}
