/**
 * From an H.264 or H.265 Annex B byte stream (a camera's, copied by ffmpeg, or an
 * encoder's) to access units in length-prefixed form (4-byte lengths, access unit delimiters
 * left out) with the configuration their parameter sets make (avcC or hvcC).
 * What differs between the two codecs is looked up in src/codec/video.ts.
 *
 * The bytes come from a camera, so they are untrusted. Everything is bounded
 * (the splitter drops an access unit over maxAccessUnitBytes), nothing throws,
 * and what cannot be used is dropped and counted, with a warning at most every
 * few seconds. Units are emitted only once a keyframe with its SPS and PPS has
 * come, and after a dropped picture only from the next keyframe on, so what
 * leaves here always decodes. A stream that never becomes usable ends, through
 * onFatal, with a reason: no parameter sets, parameter sets that never parse, parameter sets
 * that keep changing, or megabytes without an access unit.
 */
import { NalAccessUnitSplitter, type AccessUnit } from './access-units.js';
import { toAvc } from './annexb.js';
import { NAL_CODECS, type NalCodec, type NalCodecSupport, type StreamDescription } from './video.js';

/** A stream's configuration: the shape of the media model's TrackConfig (this folder imports no other). */
export interface NalStreamConfig extends Readonly<StreamDescription> {
  readonly codec: NalCodec;
}

/** One access unit out: length-prefixed NAL units (4-byte lengths), no delimiter. */
export interface NalStreamUnit {
  /** The same object while the parameter sets stay the same. */
  config: NalStreamConfig;
  keyframe: boolean;
  data: Uint8Array;
}

/** Where warnings go (a pino logger fits). */
export interface NalStreamLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface NalStreamOptions {
  /** What the stream is. Default h264. */
  codec?: NalCodec;
  /** A bigger access unit is dropped (the splitter's bound). */
  maxAccessUnitBytes: number;
  log: NalStreamLog;
  /** Names the stream in log lines (a camera id, `transcoder door`). */
  label: string;
  /** The stream cannot be used; called once. */
  onFatal(reason: string): void;
  /** Access units without a usable SPS/PPS and keyframe before giving up. Default 600. */
  maxUnitsWithoutConfig?: number;
  /** More SPS/PPS changes than this within configChangeWindowMs: give up. Default 5 in 10 s. */
  maxConfigChanges?: number;
  configChangeWindowMs?: number;
  /** Bytes without a single access unit before giving up. Default 4 times maxAccessUnitBytes. */
  maxBytesWithoutUnit?: number;
}

export interface NalStreamCounters {
  /** Units emitted. */
  units: number;
  keyframes: number;
  /** Access units dropped here: before the first usable keyframe, after a gap, bad parameter sets. */
  dropped: number;
  /** New configurations after the first. */
  configChanges: number;
  /** Parameter sets that did not parse. */
  badParameterSets: number;
}

const WARN_EVERY_MS = 10_000;
const MAX_BAD_PARAMETER_SETS = 30;

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameBytes(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!equal(a[i]!, b[i]!)) return false;
  return true;
}

/** The distinct NAL units, in order (ffmpeg's dump_extra may repeat the stream's own SPS/PPS). */
function distinct(nalus: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const nal of nalus) if (!out.some((seen) => equal(seen, nal))) out.push(nal.slice());
  return out;
}

export class NalStream {
  readonly counters: NalStreamCounters = {
    units: 0,
    keyframes: 0,
    dropped: 0,
    configChanges: 0,
    badParameterSets: 0,
  };
  private readonly codec: NalCodec;
  private readonly support: NalCodecSupport;
  private readonly splitter: NalAccessUnitSplitter;
  private config: NalStreamConfig | undefined;
  private vps: Uint8Array[] = [];
  private sps: Uint8Array[] = [];
  private pps: Uint8Array[] = [];
  /** The parameter sets of `config` (what it was built from). */
  private configVps: Uint8Array[] = [];
  private configSps: Uint8Array[] = [];
  private configPps: Uint8Array[] = [];
  private needKeyframe = true;
  private unitsWithoutConfig = 0;
  private badInARow = 0;
  private changes: number[] = [];
  private lastTooLarge = 0;
  private discardedAtLastUnit = 0;
  private lastWarnAt = 0;
  private suppressed = 0;
  private ended = false;

  constructor(
    private readonly onUnit: (unit: NalStreamUnit) => void,
    private readonly options: NalStreamOptions,
  ) {
    this.codec = options.codec ?? 'h264';
    this.support = NAL_CODECS[this.codec];
    this.splitter = new NalAccessUnitSplitter(this.support.rules, (au) => this.accessUnit(au), {
      maxAccessUnitBytes: options.maxAccessUnitBytes,
    });
  }

  /** The splitter's counters (access units, dropped as too large, discarded bytes). */
  get splitterCounters(): NalAccessUnitSplitter['counters'] {
    return this.splitter.counters;
  }

  /** Bytes of the stream, cut anywhere. An access unit is emitted when the next one begins. */
  push(chunk: Uint8Array): void {
    if (this.ended) return;
    this.splitter.push(chunk);
    this.check();
  }

  /**
   * One packet of ffmpeg's, which holds whole access units (framed by the mpjpeg muxer):
   * emitted at once, without waiting for the next one to begin.
   */
  pushPacket(packet: Uint8Array): void {
    if (this.ended) return;
    this.splitter.push(packet);
    if (!this.ended) this.splitter.flush();
    this.check();
  }

  private check(): void {
    const c = this.splitter.counters;
    if (c.tooLarge !== this.lastTooLarge) {
      this.lastTooLarge = c.tooLarge;
      this.skipToKeyframe(`access unit over ${this.options.maxAccessUnitBytes} bytes dropped`);
    }
    const maxBytes = this.options.maxBytesWithoutUnit ?? 4 * this.options.maxAccessUnitBytes;
    if (!this.ended && c.discardedBytes - this.discardedAtLastUnit > maxBytes) {
      this.fatal(`no ${this.support.name} access unit in ${Math.round(maxBytes / 1024 / 1024)} MiB of the stream`);
    }
  }

  /** The stream ended: emits the access unit in progress. */
  flush(): void {
    if (!this.ended) this.splitter.flush();
  }

  /** Forgets the access unit in progress (the child that wrote it is gone). */
  reset(): void {
    this.splitter.reset();
  }

  private accessUnit(au: AccessUnit): void {
    if (this.ended) return;
    this.discardedAtLastUnit = this.splitter.counters.discardedBytes;
    if (au.vps.length || au.sps.length || au.pps.length) {
      if (au.vps.length) this.vps = distinct(au.vps);
      if (au.sps.length) this.sps = distinct(au.sps);
      if (au.pps.length) this.pps = distinct(au.pps);
      if (!this.updateConfig()) return;
    }
    if (!this.config) {
      this.drop();
      if (++this.unitsWithoutConfig > (this.options.maxUnitsWithoutConfig ?? 600)) {
        this.fatal(
          `no ${this.support.setNames} in the ${this.support.name} stream after ${this.unitsWithoutConfig} access units`,
        );
      }
      return;
    }
    if (this.needKeyframe) {
      if (!au.keyframe) {
        this.drop();
        if (++this.unitsWithoutConfig > (this.options.maxUnitsWithoutConfig ?? 600)) {
          this.fatal(`no keyframe in the ${this.support.name} stream after ${this.unitsWithoutConfig} access units`);
        }
        return;
      }
      this.needKeyframe = false;
    }
    this.unitsWithoutConfig = 0;
    const { support } = this;
    const nalus = au.nalus.filter((nal) => support.rules.type(nal[0]!) !== support.audType);
    this.counters.units++;
    if (au.keyframe) this.counters.keyframes++;
    this.onUnit({ config: this.config, keyframe: au.keyframe, data: toAvc(nalus) });
  }

  /** A new TrackConfig when the parameter sets changed. False: this access unit is dropped. */
  private updateConfig(): boolean {
    const sets = { vps: this.vps, sps: this.sps, pps: this.pps };
    if (!this.support.complete(sets)) return true; // the rest comes later
    if (
      this.config &&
      sameBytes(this.vps, this.configVps) &&
      sameBytes(this.sps, this.configSps) &&
      sameBytes(this.pps, this.configPps)
    ) {
      return true;
    }
    let config: NalStreamConfig;
    try {
      config = Object.freeze({ codec: this.codec, ...this.support.describe(sets) });
    } catch (err) {
      this.counters.badParameterSets++;
      this.skipToKeyframe(`unusable ${this.support.setNames}: ${(err as Error).message}`);
      this.drop();
      // A bad set must not stay current: the next good one makes the config.
      this.vps = [];
      this.sps = [];
      this.pps = [];
      if (++this.badInARow >= MAX_BAD_PARAMETER_SETS) {
        const name = this.support.name;
        this.fatal(
          `the ${name} stream's ${this.support.setNames} do not parse (${this.badInARow} in a row): ${(err as Error).message}`,
        );
      }
      return false;
    }
    this.badInARow = 0;
    if (this.config) {
      this.counters.configChanges++;
      const now = Date.now();
      const window = this.options.configChangeWindowMs ?? 10_000;
      this.changes = this.changes.filter((t) => now - t < window);
      this.changes.push(now);
      const max = this.options.maxConfigChanges ?? 5;
      if (this.changes.length > max) {
        this.fatal(
          `the ${this.support.name} stream's ${this.support.setNames} changed ${this.changes.length} times in ${window / 1000} s`,
        );
        return false;
      }
      this.options.log.info(
        { camera: this.options.label, from: this.config.codecString, to: config.codecString },
        `${this.support.name} configuration changed: ${config.width}x${config.height}`,
      );
      // What follows the new parameter sets decodes only from a keyframe.
      this.needKeyframe = true;
    }
    this.config = config;
    this.configVps = this.vps;
    this.configSps = this.sps;
    this.configPps = this.pps;
    return true;
  }

  private drop(): void {
    this.counters.dropped++;
  }

  /** Something was lost before the splitter (a packet dropped): go on from the next keyframe. */
  gap(why: string): void {
    this.skipToKeyframe(why);
  }

  private skipToKeyframe(why: string): void {
    this.needKeyframe = true;
    this.warn(why);
  }

  private warn(why: string): void {
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) {
      this.suppressed++;
      return;
    }
    this.lastWarnAt = now;
    const more = this.suppressed;
    this.suppressed = 0;
    this.options.log.warn(
      { camera: this.options.label, ...this.counters, alsoSuppressed: more },
      `${this.support.name} stream: ${why}; skipping to the next keyframe`,
    );
  }

  private fatal(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.splitter.reset();
    this.options.log.warn(
      { camera: this.options.label, ...this.counters },
      `${this.support.name} stream unusable: ${reason}`,
    );
    this.options.onFatal(reason);
  }
}
