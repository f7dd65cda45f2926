/**
 * A live MPEG-TS demuxer (ISO/IEC 13818-1): fed chunks of a transport stream cut anywhere, it hands out
 * each elementary stream's PES packets as units (PID, stream type, PTS, DTS, payload), as soon as each is
 * known to be complete:
 * - its declared PES length is reached;
 * - with `endOnStuffing`, a TS packet of the PID is padded (adaptation-field stuffing): a muxer that pads
 *   only the last packet of a PES (ffmpeg does) has finished it, even when it left the length unset
 *   (video over 64 KiB);
 * - the next PES of the PID begins, or flush() is called.
 *
 * Streams are those the PMT lists (the first program's); what they carry is left to the caller (a unit's
 * `codec`): H.264 and H.265 access units, ADTS AAC frames, Opus packets with their control header.
 * PTS and DTS are unwrapped (33 bits wrap every 26.5 hours): a stream's timestamps go on.
 *
 * The bytes come from a child process that reads a camera: untrusted. A lost sync byte is searched for
 * again (a position where two packets in a row begin with it), a PES over `maxPesBytes` is dropped, a
 * continuity gap drops the PES it falls in; each is counted, nothing throws out of push().
 */
import { CodecError } from '../errors.js';
import { parsePesHeader, TimestampUnwrapper } from './pes.js';
import { parsePat, parsePmt, type ElementaryStream, type TsCodec } from './psi.js';

export const TS_PACKET_SIZE = 188;
const SYNC = 0x47;

export interface TsUnit {
  pid: number;
  streamType: number;
  codec: TsCodec | undefined;
  /** 90 kHz ticks, unwrapped; undefined when the PES has none. */
  pts: number | undefined;
  /** 90 kHz ticks, unwrapped; equal to pts when the PES gives none. */
  dts: number | undefined;
  /** The PES payload (one access unit, or audio frames). Its own memory. */
  data: Uint8Array;
  /** The adaptation field's random_access_indicator on the PES's first packet. */
  randomAccess: boolean;
}

export interface TsDemuxerOptions {
  /** A bigger PES is dropped. */
  maxPesBytes: number;
  /** A padded packet ends its PES (see above). Default false. */
  endOnStuffing?: boolean;
}

export interface TsDemuxerCounters {
  packets: number;
  units: number;
  /** Bytes skipped looking for sync. */
  resyncBytes: number;
  continuityErrors: number;
  /** PES dropped: too large, a bad header, a continuity gap. */
  droppedPes: number;
  /** PSI sections that did not parse. */
  badSections: number;
}

interface PidState {
  stream: ElementaryStream;
  parts: Uint8Array[];
  bytes: number;
  /** Whether the PES in progress is being kept (false after a problem, until the next start). */
  open: boolean;
  randomAccess: boolean;
  continuity: number;
  unwrap: TimestampUnwrapper;
}

const WRAP = 2 ** 33;

export class TsDemuxer {
  readonly counters: TsDemuxerCounters = {
    packets: 0,
    units: 0,
    resyncBytes: 0,
    continuityErrors: 0,
    droppedPes: 0,
    badSections: 0,
  };
  private pending: Uint8Array = new Uint8Array(0);
  private pmtPid: number | undefined;
  private readonly pids = new Map<number, PidState>();

  constructor(
    private readonly onUnit: (unit: TsUnit) => void,
    private readonly options: TsDemuxerOptions,
  ) {
    if (!Number.isSafeInteger(options.maxPesBytes) || options.maxPesBytes < TS_PACKET_SIZE) {
      throw new CodecError(
        'invalid',
        `maxPesBytes ${options.maxPesBytes} is not an integer of ${TS_PACKET_SIZE} or more`,
      );
    }
  }

  /** The elementary streams of the program, once its PMT came. */
  get streams(): ElementaryStream[] {
    return [...this.pids.values()].map((p) => p.stream);
  }

  /** Bytes of the stream, cut anywhere. */
  push(chunk: Uint8Array): void {
    let data = chunk;
    if (this.pending.length) {
      data = new Uint8Array(this.pending.length + chunk.length);
      data.set(this.pending);
      data.set(chunk, this.pending.length);
    }
    let i = 0;
    while (data.length - i >= TS_PACKET_SIZE) {
      if (data[i] !== SYNC || (data.length - i >= 2 * TS_PACKET_SIZE && data[i + TS_PACKET_SIZE] !== SYNC)) {
        i++;
        this.counters.resyncBytes++;
        continue;
      }
      this.packet(data.subarray(i, i + TS_PACKET_SIZE));
      i += TS_PACKET_SIZE;
    }
    // At most one partial packet is kept (copied: the chunk's memory is the caller's).
    this.pending = data.slice(i);
  }

  /** The stream ended: hands out every PES in progress. */
  flush(): void {
    for (const state of this.pids.values()) this.emit(state);
  }

  /** Forgets everything in progress and the program (a new stream follows). */
  reset(): void {
    this.pending = new Uint8Array(0);
    this.pmtPid = undefined;
    this.pids.clear();
  }

  private packet(p: Uint8Array): void {
    this.counters.packets++;
    const error = (p[1]! & 0x80) !== 0;
    const start = (p[1]! & 0x40) !== 0;
    const pid = ((p[1]! & 0x1f) << 8) | p[2]!;
    const control = (p[3]! >> 4) & 0x03;
    const continuity = p[3]! & 0x0f;
    if (pid === 0x1fff) return; // null packets
    let offset = 4;
    let stuffed = false;
    let randomAccess = false;
    if (control & 0x02) {
      const length = p[4]!;
      if (5 + length > TS_PACKET_SIZE) return this.broken(pid);
      if (length > 0) {
        const flags = p[5]!;
        randomAccess = (flags & 0x40) !== 0;
        // What the flagged fields take; the rest of the field is stuffing (0xff).
        let used = 1;
        if (flags & 0x10) used += 6; // PCR
        if (flags & 0x08) used += 6; // OPCR
        if (flags & 0x04) used += 1; // splice countdown
        stuffed = used < length && p[4 + length] === 0xff;
      }
      offset = 5 + length;
    }
    const payload = control & 0x01 ? p.subarray(offset) : undefined;
    if (pid === 0) {
      if (start && payload) this.pat(payload);
      return;
    }
    if (pid === this.pmtPid) {
      if (start && payload) this.pmt(payload);
      return;
    }
    const state = this.pids.get(pid);
    if (!state) return;
    if (error) return this.broken(pid);
    if (payload) {
      const first = state.continuity < 0;
      if (!first && continuity === state.continuity) return; // a duplicate packet
      if (!first && continuity !== ((state.continuity + 1) & 0x0f)) {
        // Packets were lost: the PES in progress lacks bytes.
        this.counters.continuityErrors++;
        this.drop(state);
      }
      state.continuity = continuity;
      this.payload(state, payload, start, randomAccess);
    }
    if (stuffed && this.options.endOnStuffing) this.emit(state);
  }

  private payload(state: PidState, payload: Uint8Array, start: boolean, randomAccess: boolean): void {
    if (start) {
      this.emit(state);
      state.open = true;
      state.randomAccess = randomAccess;
    }
    if (!state.open || payload.length === 0) return;
    if (state.bytes + payload.length > this.options.maxPesBytes) {
      this.drop(state);
      return;
    }
    state.parts.push(payload.slice());
    state.bytes += payload.length;
    // A PES whose length is declared is complete when it is all here.
    const first = state.parts[0]!;
    if (first.length >= 6) {
      const declared = (first[4]! << 8) | first[5]!;
      if (declared !== 0 && state.bytes >= declared + 6) this.emit(state);
    }
  }

  private emit(state: PidState): void {
    if (!state.open || state.bytes === 0) {
      state.parts = [];
      state.bytes = 0;
      return;
    }
    const whole = state.parts.length === 1 ? state.parts[0]! : concat(state.parts, state.bytes);
    state.parts = [];
    state.bytes = 0;
    state.open = false;
    let header;
    try {
      header = parsePesHeader(whole);
    } catch {
      this.counters.droppedPes++;
      return;
    }
    const end = header.packetLength ? Math.min(whole.length, header.packetLength + 6) : whole.length;
    const data = whole.subarray(header.payloadOffset, end);
    let pts: number | undefined;
    let dts: number | undefined;
    if (header.pts !== undefined) {
      const raw = header.dts ?? header.pts;
      dts = state.unwrap.unwrap(raw);
      let composition = (((header.pts - raw) % WRAP) + WRAP) % WRAP;
      if (composition > WRAP / 2) composition -= WRAP;
      pts = dts + composition;
    }
    this.counters.units++;
    this.onUnit({
      pid: state.stream.pid,
      streamType: state.stream.streamType,
      codec: state.stream.codec,
      pts,
      dts,
      data,
      randomAccess: state.randomAccess,
    });
  }

  private drop(state: PidState): void {
    if (state.open) this.counters.droppedPes++;
    state.parts = [];
    state.bytes = 0;
    state.open = false;
  }

  private broken(pid: number): void {
    const state = this.pids.get(pid);
    if (state) this.drop(state);
  }

  private pat(payload: Uint8Array): void {
    try {
      const pids = parsePat(payload);
      if (pids.length) this.pmtPid = pids[0];
    } catch {
      this.counters.badSections++;
    }
  }

  private pmt(payload: Uint8Array): void {
    let streams: ElementaryStream[];
    try {
      streams = parsePmt(payload);
    } catch {
      this.counters.badSections++;
      return;
    }
    // A PMT repeated as it was changes nothing; a PID that left or changed type starts afresh.
    for (const [pid, state] of this.pids) {
      const now = streams.find((s) => s.pid === pid);
      if (!now || now.streamType !== state.stream.streamType) this.pids.delete(pid);
    }
    for (const stream of streams.slice(0, 16)) {
      if (this.pids.has(stream.pid)) continue;
      this.pids.set(stream.pid, {
        stream,
        parts: [],
        bytes: 0,
        open: false,
        randomAccess: false,
        continuity: -1,
        unwrap: new TimestampUnwrapper(),
      });
    }
  }
}

function concat(parts: Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
