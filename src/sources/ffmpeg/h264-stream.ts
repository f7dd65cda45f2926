/**
 * From an H.264 Annex B byte stream (a camera's, copied by ffmpeg, or an
 * encoder's) to SourceUnits: access units in AVC form (4-byte lengths, access
 * unit delimiters left out) with the TrackConfig their SPS/PPS make.
 *
 * The bytes come from a camera, so they are untrusted. Everything is bounded
 * (the splitter drops an access unit over maxAccessUnitBytes), nothing throws,
 * and what cannot be used is dropped and counted, with a warning at most every
 * few seconds. Units are emitted only once a keyframe with its SPS and PPS has
 * come, and after a dropped picture only from the next keyframe on, so what
 * leaves here always decodes. A stream that never becomes usable ends, through
 * onFatal, with a reason: no SPS/PPS, parameter sets that never parse, SPS/PPS
 * that keep changing, or megabytes without an access unit.
 */
import type { Logger } from 'pino';
import { AccessUnitSplitter, type AccessUnit } from '../../codec/h264/access-units.js';
import { buildAvcC } from '../../codec/h264/avcc.js';
import { NalType, toAvc } from '../../codec/h264/nal.js';
import { codecString, parseSps } from '../../codec/h264/sps.js';
import type { TrackConfig } from '../../media/index.js';
import type { SourceUnit } from '../source.js';

export interface H264StreamOptions {
  /** A bigger access unit is dropped (the splitter's bound). */
  maxAccessUnitBytes: number;
  log: Logger;
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

export interface H264StreamCounters {
  /** Units emitted. */
  units: number;
  keyframes: number;
  /** Access units dropped here: before the first usable keyframe, after a gap, bad parameter sets. */
  dropped: number;
  /** New TrackConfigs after the first. */
  configChanges: number;
  /** Parameter sets that did not parse. */
  badParameterSets: number;
}

const WARN_EVERY_MS = 10_000;
const MAX_BAD_PARAMETER_SETS = 30;

function sameBytes(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (Buffer.compare(a[i]!, b[i]!) !== 0) return false;
  return true;
}

/** The distinct NAL units, in order (ffmpeg's dump_extra may repeat the stream's own SPS/PPS). */
function distinct(nalus: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const nal of nalus) if (!out.some((seen) => Buffer.compare(seen, nal) === 0)) out.push(nal.slice());
  return out;
}

export class H264Stream {
  readonly counters: H264StreamCounters = { units: 0, keyframes: 0, dropped: 0, configChanges: 0, badParameterSets: 0 };
  private readonly splitter: AccessUnitSplitter;
  private config: TrackConfig | undefined;
  private sps: Uint8Array[] = [];
  private pps: Uint8Array[] = [];
  /** The parameter sets of `config` (what it was built from). */
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
    private readonly onUnit: (unit: SourceUnit) => void,
    private readonly options: H264StreamOptions,
  ) {
    this.splitter = new AccessUnitSplitter((au) => this.accessUnit(au), {
      maxAccessUnitBytes: options.maxAccessUnitBytes,
    });
  }

  /** The splitter's counters (access units, dropped as too large, discarded bytes). */
  get splitterCounters(): AccessUnitSplitter['counters'] {
    return this.splitter.counters;
  }

  /** Bytes of the stream, cut anywhere. An access unit is emitted when the next one begins. */
  push(chunk: Buffer): void {
    if (this.ended) return;
    this.splitter.push(chunk);
    this.check();
  }

  /**
   * One packet of ffmpeg's, which holds whole access units (framed by the mpjpeg muxer):
   * emitted at once, without waiting for the next one to begin.
   */
  pushPacket(packet: Buffer): void {
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
      this.fatal(`no H.264 access unit in ${Math.round(maxBytes / 1024 / 1024)} MiB of the stream`);
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
    if (au.sps.length || au.pps.length) {
      if (au.sps.length) this.sps = distinct(au.sps);
      if (au.pps.length) this.pps = distinct(au.pps);
      if (!this.updateConfig()) return;
    }
    if (!this.config) {
      this.drop();
      if (++this.unitsWithoutConfig > (this.options.maxUnitsWithoutConfig ?? 600)) {
        this.fatal(`no SPS/PPS in the H.264 stream after ${this.unitsWithoutConfig} access units`);
      }
      return;
    }
    if (this.needKeyframe) {
      if (!au.keyframe) {
        this.drop();
        if (++this.unitsWithoutConfig > (this.options.maxUnitsWithoutConfig ?? 600)) {
          this.fatal(`no keyframe in the H.264 stream after ${this.unitsWithoutConfig} access units`);
        }
        return;
      }
      this.needKeyframe = false;
    }
    this.unitsWithoutConfig = 0;
    const nalus = au.nalus.filter((nal) => (nal[0]! & 0x1f) !== NalType.AUD);
    const avc = toAvc(nalus);
    this.counters.units++;
    if (au.keyframe) this.counters.keyframes++;
    this.onUnit({
      config: this.config,
      keyframe: au.keyframe,
      data: Buffer.from(avc.buffer, avc.byteOffset, avc.length),
    });
  }

  /** A new TrackConfig when the parameter sets changed. False: this access unit is dropped. */
  private updateConfig(): boolean {
    if (!this.sps.length || !this.pps.length) return true; // the other half comes later
    if (this.config && sameBytes(this.sps, this.configSps) && sameBytes(this.pps, this.configPps)) return true;
    let config: TrackConfig;
    try {
      const sps = parseSps(this.sps[0]!);
      const description = buildAvcC({ sps: this.sps, pps: this.pps });
      config = Object.freeze({
        codec: 'h264',
        width: sps.width,
        height: sps.height,
        codecString: codecString(sps),
        description,
      });
    } catch (err) {
      this.counters.badParameterSets++;
      this.skipToKeyframe(`unusable SPS/PPS: ${(err as Error).message}`);
      this.drop();
      // A bad set must not stay current: the next good one makes the config.
      this.sps = [];
      this.pps = [];
      if (++this.badInARow >= MAX_BAD_PARAMETER_SETS) {
        this.fatal(`the H.264 stream's SPS/PPS do not parse (${this.badInARow} in a row): ${(err as Error).message}`);
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
        this.fatal(`the H.264 stream's SPS/PPS changed ${this.changes.length} times in ${window / 1000} s`);
        return false;
      }
      this.options.log.info(
        { camera: this.options.label, from: this.config.codecString, to: config.codecString },
        `H.264 configuration changed: ${config.width}x${config.height}`,
      );
      // What follows the new parameter sets decodes only from a keyframe.
      this.needKeyframe = true;
    }
    this.config = config;
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
      `H.264 stream: ${why}; skipping to the next keyframe`,
    );
  }

  private fatal(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.splitter.reset();
    this.options.log.warn({ camera: this.options.label, ...this.counters }, `H.264 stream unusable: ${reason}`);
    this.options.onFatal(reason);
  }
}
