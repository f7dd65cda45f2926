/**
 * What a transcoder's ffmpeg reads on its stdin, and how the times of what it writes come back: the units
 * in a live Matroska stream (src/codec/matroska), each with its pts, so that its encoder's output carries
 * the input's times (`-copyts` into MPEG-TS, transcode-args.ts), not the times ffmpeg would read them at.
 * One per run of ffmpeg: its times are written from a base (the run's first unit less a margin) because
 * Matroska's are unsigned and MPEG-TS's 33 bits, and added back to what comes out.
 */
import { splitAvc } from '../codec/annexb.js';
import { matroskaFrame, matroskaHead, type MatroskaVideoCodec } from '../codec/matroska/writer.js';
import { VIDEO_CLOCK_RATE, type Codec, type SourceUnit, type TrackConfig } from '../media/index.js';

/** Below the run's first pts: a picture shown before the first one decoded (an open GOP's) stays positive. */
const BASE_MARGIN = 10 * VIDEO_CLOCK_RATE;
/** Matroska timestamps are in µs (writer.ts); ours in 90 kHz ticks. */
const US_PER_TICK = 1_000_000 / VIDEO_CLOCK_RATE;

export class TimedInput {
  private base: number | undefined;
  private readonly codec: MatroskaVideoCodec;

  constructor(codec: Codec) {
    this.codec = codec;
  }

  /** Whether the stream's head went out (first() succeeded). */
  get started(): boolean {
    return this.base !== undefined;
  }

  /**
   * The stream's head with the first unit, or undefined when the unit cannot start one (H.264 or H.265
   * without its avcC or hvcC). Every unit has its pts (the transcoder gives one to a unit that had none).
   */
  first(unit: SourceUnit): Uint8Array | undefined {
    const config: TrackConfig = unit.config;
    if (this.codec !== 'jpeg' && !config.description) return undefined;
    const head = matroskaHead({
      codec: this.codec,
      width: config.width,
      height: config.height,
      codecPrivate: this.codec !== 'jpeg' ? config.description : undefined,
    });
    const base = (unit.pts ?? 0) - BASE_MARGIN;
    this.base = base;
    const frame = this.frame(unit);
    if (!frame) {
      this.base = undefined;
      return undefined;
    }
    const out = new Uint8Array(head.length + frame.length);
    out.set(head);
    out.set(frame, head.length);
    return out;
  }

  /**
   * One unit as ffmpeg reads it, or undefined when it is malformed (H.264 or H.265 whose NAL lengths do not
   * add up) or its time is before the run's base (a clock gone back).
   */
  frame(unit: SourceUnit): Uint8Array | undefined {
    if (this.base === undefined || unit.pts === undefined || !Number.isFinite(unit.pts)) return undefined;
    const since = unit.pts - this.base;
    if (since < 0) return undefined;
    if (this.codec !== 'jpeg') {
      try {
        splitAvc(unit.data);
      } catch {
        return undefined;
      }
    }
    return matroskaFrame(since * US_PER_TICK, unit.keyframe, unit.data);
  }

  /** A time ffmpeg wrote (90 kHz, unwrapped from its MPEG-TS) on the input's clock. */
  input(ticks: number): number {
    return ticks + (this.base ?? 0);
  }
}
