/**
 * Splits a live Annex B stream (H.264 or H.265) into access units (one coded picture each,
 * with the parameter sets and SEI that come with it), fed in chunks of any size as
 * they arrive from a pipe or a socket. What is codec-specific (NAL header, which
 * units cut, which are keyframes and parameter sets) is a `NalRules` of the codec's
 * folder (`h264/access-units.ts`, `h265/access-units.ts`).
 *
 * Where an access unit starts (H.264 7.4.1.2.3, H.265 7.4.2.4.4): at an access unit
 * delimiter; after a slice, at the first parameter set, prefix SEI or other unit
 * the standard places before a picture; and, in a stream without delimiters, at a slice that
 * starts a new picture (H.264 first_mb_in_slice == 0, H.265 first_slice_segment_in_pic_flag).
 * Once the stream shows delimiters, slices
 * no longer cut; an access unit that starts without one (a camera restarted
 * with other settings) means they have stopped, and slices cut again. A unit is
 * classified from its first bytes, so an access unit is emitted as
 * soon as the first bytes of the next one arrive (or on flush(), at the end).
 *
 * Bounded: an access unit over maxAccessUnitBytes is dropped, with the bytes
 * after it up to the start of the next access unit, and counted; the splitter
 * never holds more than that (plus the start code of the next unit). Emitting
 * copies each access unit once, into its own Uint8Array; until then the
 * splitter keeps references to the pushed chunks (do not reuse a chunk after
 * pushing it), and gathers small pieces (under 4 KiB) into blocks of its own so
 * that a stream pushed a byte at a time does not hold an object per byte. What
 * it keeps alive, chunk buffers included, stays under about maxBufferedBytes:
 * a piece of a larger buffer than that allows is copied out of it.
 */
import { CodecError } from './errors.js';
import { ByteQueue } from './byte-queue.js';

/** What a codec's NAL units say to the splitter. */
export interface NalRules {
  /** Bytes of a NAL unit's start needed to classify it, given its first byte (at most 3). */
  headBytes(first: number): number;
  /** nal_unit_type from the first header byte. */
  type(first: number): number;
  /** A coded slice (part of a picture). */
  isVcl(type: number): boolean;
  isAud(type: number): boolean;
  /** Decoding can start at a picture with this slice type. */
  isKeyframe(type: number): boolean;
  /** A parameter set, and which. */
  parameterSet(type: number): 'vps' | 'sps' | 'pps' | undefined;
  /** After a slice, a unit of this type always begins the next access unit (delimiters or not). */
  startsAfterPicture(type: number): boolean;
  /** A slice whose head (headBytes of it, or the whole of a shorter unit) says it begins a new picture. */
  beginsPicture(type: number, head: Uint8Array, headLength: number): boolean;
}

export interface AccessUnit {
  /** The access unit's Annex B bytes as they came, each NAL unit after its start code. */
  data: Uint8Array;
  /** Its NAL units, without start codes: subarrays of `data`. */
  nalus: Uint8Array[];
  /** It holds a slice decoding can start at (H.264 IDR, H.265 IRAP). */
  keyframe: boolean;
  /** The parameter sets it carries (subarrays of `data`), usually with each keyframe; VPS: H.265 only. */
  vps: Uint8Array[];
  sps: Uint8Array[];
  pps: Uint8Array[];
}

export interface AccessUnitSplitterOptions {
  /** A bigger access unit is dropped. Default 8 MiB. */
  maxAccessUnitBytes?: number;
  /** Memory kept alive between pushes (pending bytes and the chunks they sit in). Default twice maxAccessUnitBytes. */
  maxBufferedBytes?: number;
}

export interface AccessUnitSplitterCounters {
  accessUnits: number;
  keyframes: number;
  /** Access units dropped: too large, or without any slice. */
  droppedAccessUnits: number;
  /** Of those, over maxAccessUnitBytes. */
  tooLarge: number;
  /** Of those, NAL units that made no picture (parameter sets or SEI alone, garbage). */
  noPicture: number;
  /** NAL units with the forbidden bit set (passed on: the decoder decides). */
  damagedNalUnits: number;
  /** Bytes never emitted: before the first start code, in dropped access units, and skipped after a drop. */
  discardedBytes: number;
  /** Why the last access unit was dropped. */
  lastError?: string;
}

export const DEFAULT_MAX_ACCESS_UNIT_BYTES = 8 * 1024 * 1024;

/** A NAL unit of the pending access unit; offsets are into the queue. */
interface NalRecord {
  /** Where its start code (and any zero bytes before it) begins. */
  scStart: number;
  start: number;
  /** -1 while it is still arriving. */
  end: number;
  /** -1 until classified, and for an empty unit. */
  type: number;
}

const SHORT_START_CODE = new Uint8Array([0, 0, 1]);
const LONG_START_CODE = new Uint8Array([0, 0, 0, 1]);

export class NalAccessUnitSplitter {
  readonly counters: AccessUnitSplitterCounters = {
    accessUnits: 0,
    keyframes: 0,
    droppedAccessUnits: 0,
    tooLarge: 0,
    noPicture: 0,
    damagedNalUnits: 0,
    discardedBytes: 0,
  };
  private readonly maxAccessUnitBytes: number;
  private readonly maxBufferedBytes: number;
  private readonly queue = new ByteQueue();
  /** NAL units of the pending access unit; the last may still be arriving. */
  private nals: NalRecord[] = [];
  /** Bytes go into the queue; else they are discarded up to the next start code. */
  private storing = false;
  /** An access unit was dropped: the pending bytes are kept only if they start a new one. */
  private discarding = false;
  /** Zero bytes just seen (a start code, or the end of a NAL unit, may follow). */
  private zeros = 0;
  /** The first bytes of the NAL unit in progress, enough to classify it. */
  private readonly head = new Uint8Array(3);
  private headLength = 0;
  private classified = true;
  private pendingHasPicture = false;
  private sawDelimiter = false;
  /** Access units completed during this push, delivered when it has done its work. */
  private ready: AccessUnit[] = [];

  constructor(
    private readonly rules: NalRules,
    private readonly onAccessUnit: (au: AccessUnit) => void,
    options: AccessUnitSplitterOptions = {},
  ) {
    this.maxAccessUnitBytes = options.maxAccessUnitBytes ?? DEFAULT_MAX_ACCESS_UNIT_BYTES;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 2 * this.maxAccessUnitBytes;
    if (!Number.isSafeInteger(this.maxAccessUnitBytes) || this.maxAccessUnitBytes < 16) {
      throw new CodecError('invalid', `maxAccessUnitBytes ${this.maxAccessUnitBytes} is not an integer of 16 or more`);
    }
    if (!Number.isSafeInteger(this.maxBufferedBytes) || this.maxBufferedBytes < this.maxAccessUnitBytes) {
      throw new CodecError('invalid', `maxBufferedBytes ${this.maxBufferedBytes} is below maxAccessUnitBytes`);
    }
  }

  /** Bytes of the access unit in progress. */
  get bufferedBytes(): number {
    return this.queue.length;
  }

  /** Memory kept alive for it, approximately (pushed chunks it still references, whole). */
  get retainedBytes(): number {
    return this.queue.retained;
  }

  /**
   * Feeds the next bytes of the stream. Before it returns, calls onAccessUnit
   * for each access unit these bytes complete (onAccessUnit must not call back
   * into the splitter).
   */
  push(chunk: Uint8Array): void {
    const n = chunk.length;
    let from = 0; // chunk bytes before this are in the queue (or discarded)
    let zeros = this.zeros;
    let i = 0;
    while (i < n) {
      const b = chunk[i]!;
      if (b === 1 && zeros >= 2) {
        this.take(chunk, from, i + 1);
        from = i + 1;
        this.zeros = zeros;
        this.startCode();
        zeros = 0;
        i++;
        continue;
      }
      if (!this.classified) this.collect(b);
      if (b === 0) {
        zeros++;
        i++;
        continue;
      }
      zeros = 0;
      if (!this.classified) {
        i++;
        continue;
      }
      // Nothing to look at before the next zero byte.
      const next = chunk.indexOf(0, i + 1);
      i = next < 0 ? n : next;
    }
    this.zeros = zeros;
    this.take(chunk, from, n);
    this.deliver();
  }

  /**
   * Hands over the completed access units, after the splitter's own state is
   * settled: a callback that throws cannot leave it half-updated (the access
   * units after the one it threw on come with the next push or flush).
   */
  private deliver(): void {
    const ready = this.ready;
    this.ready = [];
    for (let i = 0; i < ready.length; i++) {
      try {
        this.onAccessUnit(ready[i]!);
      } catch (error) {
        this.ready = [...ready.slice(i + 1), ...this.ready];
        throw error;
      }
    }
  }

  /** The stream has ended: emits the access unit in progress, then starts clean. */
  flush(): void {
    const current = this.nals[this.nals.length - 1];
    if (this.storing && current) {
      if (current.end < 0) this.endNal(current, Math.max(current.start, this.queue.length - this.zeros));
      const last = this.nals.filter((nal) => nal.end > nal.start).pop();
      if (this.storing && !this.discarding && last) this.emit(this.nals.length, last.end);
    }
    if (this.queue.length > 0) this.counters.discardedBytes += this.queue.length;
    this.clear();
    this.deliver();
  }

  /** Forgets the access unit in progress without emitting it (counters are kept). */
  reset(): void {
    this.clear();
    this.ready = [];
  }

  private clear(): void {
    this.queue.clear();
    this.nals = [];
    this.storing = false;
    this.discarding = false;
    this.zeros = 0;
    this.headLength = 0;
    this.classified = true;
    this.pendingHasPicture = false;
    this.sawDelimiter = false;
  }

  /** chunk[from, to) joins the pending access unit, or is discarded. */
  private take(chunk: Uint8Array, from: number, to: number): void {
    const length = to - from;
    if (length <= 0) return;
    if (!this.storing) {
      this.counters.discardedBytes += length;
      return;
    }
    if (this.queue.length + length > this.maxAccessUnitBytes) {
      this.drop('tooLarge', `access unit over ${this.maxAccessUnitBytes} bytes`, length);
      return;
    }
    this.queue.append(chunk.subarray(from, to), this.maxBufferedBytes);
  }

  /** A start code has just been taken: the NAL unit in progress ends before it, a new one begins. */
  private startCode(): void {
    const startCodeLength = this.zeros + 1;
    const current = this.nals[this.nals.length - 1];
    if (this.storing && current) {
      this.endNal(current, Math.max(current.start, this.queue.length - startCodeLength));
    }
    if (this.storing) {
      this.nals.push({
        scStart: Math.max(0, this.queue.length - startCodeLength),
        start: this.queue.length,
        end: -1,
        type: -1,
      });
    } else {
      // After garbage or a drop the start code went by unstored (counted as discarded): write a plain one.
      this.storing = true;
      this.queue.clear();
      const startCode = this.zeros >= 3 ? LONG_START_CODE : SHORT_START_CODE;
      this.counters.discardedBytes -= startCode.length; // counted by take(), but kept
      this.queue.append(startCode, this.maxBufferedBytes);
      this.nals = [{ scStart: 0, start: startCode.length, end: -1, type: -1 }];
    }
    this.headLength = 0;
    this.classified = false;
  }

  private endNal(nal: NalRecord, end: number): void {
    nal.end = end;
    if (!this.classified) {
      this.headLength = Math.min(this.headLength, end - nal.start);
      this.classify();
    }
  }

  private collect(b: number): void {
    this.head[this.headLength++] = b;
    if (this.headLength >= Math.min(this.head.length, this.rules.headBytes(this.head[0]!))) this.classify();
  }

  /** Decides whether the NAL unit in progress starts a new access unit (then emits the one before). */
  private classify(): void {
    this.classified = true;
    const nal = this.nals[this.nals.length - 1];
    if (!nal) return;
    if (this.headLength === 0) {
      // An empty NAL unit (two start codes in a row): part of nothing.
      if (this.discarding) this.drop(undefined, '', 0);
      return;
    }
    const header = this.head[0]!;
    const type = this.rules.type(header);
    nal.type = type;
    if (header & 0x80) this.counters.damagedNalUnits++;
    const starts = this.startsAccessUnit(type);
    if (this.discarding) {
      if (!starts) {
        this.drop(undefined, '', 0);
        return;
      }
      this.discarding = false;
      this.pendingHasPicture = false;
    } else if (starts && this.nals.length > 1) {
      this.emit(this.nals.length - 1, nal.scStart);
    }
    if (this.rules.isVcl(type)) this.pendingHasPicture = true;
    // An access unit that starts without a delimiter: the stream no longer has them
    // (a camera restarted with other settings), back to finding pictures by their slices.
    if (starts) this.sawDelimiter = this.rules.isAud(type);
  }

  private startsAccessUnit(type: number): boolean {
    const rules = this.rules;
    if (rules.isAud(type)) return true;
    if (!this.pendingHasPicture && !this.discarding) return false;
    if (rules.startsAfterPicture(type)) return true;
    // With delimiters, only they cut between pictures. Without, a slice that says so starts a new picture.
    return rules.isVcl(type) && !this.sawDelimiter && rules.beginsPicture(type, this.head, this.headLength);
  }

  /**
   * Drops the pending bytes (plus `extra` not taken) and stops storing until
   * the next start code. With a reason, it counts as a dropped access unit.
   */
  private drop(reason: 'tooLarge' | undefined, message: string, extra: number): void {
    if (reason) {
      this.counters.droppedAccessUnits++;
      this.counters[reason]++;
      this.counters.lastError = `${message}: dropped`;
    }
    this.counters.discardedBytes += this.queue.length + extra;
    this.queue.clear();
    this.nals = [];
    this.storing = false;
    this.discarding = true;
    this.classified = true;
    this.pendingHasPicture = false;
  }

  /** Emits the first `count` NAL units, which end at `end`, as one access unit. */
  private emit(count: number, end: number): void {
    const records = this.nals.slice(0, count);
    const rest = this.nals.slice(count);
    let picture = false;
    for (const nal of records) if (nal.type >= 0 && this.rules.isVcl(nal.type)) picture = true;
    if (!picture) {
      this.counters.droppedAccessUnits++;
      this.counters.noPicture++;
      this.counters.discardedBytes += end;
      this.counters.lastError = `${records.length} NAL unit(s) without a slice: dropped`;
    }
    const data = picture ? this.queue.copyOut(end) : undefined;
    this.queue.dropFront(end);
    for (const nal of rest) {
      nal.scStart = Math.max(0, nal.scStart - end);
      nal.start -= end;
      if (nal.end >= 0) nal.end -= end;
    }
    this.nals = rest;
    this.pendingHasPicture = false;
    if (!data) return;

    const au: AccessUnit = { data, nalus: [], keyframe: false, vps: [], sps: [], pps: [] };
    for (const nal of records) {
      if (nal.end <= nal.start || nal.type < 0) continue;
      const unit = data.subarray(nal.start, nal.end);
      au.nalus.push(unit);
      if (this.rules.isKeyframe(nal.type)) au.keyframe = true;
      const set = this.rules.parameterSet(nal.type);
      if (set) au[set].push(unit);
    }
    this.counters.accessUnits++;
    if (au.keyframe) this.counters.keyframes++;
    this.ready.push(au);
  }
}
