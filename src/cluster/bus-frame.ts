/**
 * An access unit on the bus: one NATS message per chunk (NATS refuses messages over the server's
 * max_payload, 1 MiB by default). Each chunk has a 64-byte binary header, all numbers big-endian:
 *
 * | bytes | field |
 * |---|---|
 * | 0 | version (1) |
 * | 1 | flags: 0x01 keyframe, 0x02 a decoder configuration follows the header (chunk 0 of a keyframe) |
 * | 2 | codec, as the viewer protocol numbers it (src/wire: 1 JPEG, 2 H.264, 3 H.265) |
 * | 3, 4 | chunk index, chunk count (1 to 255) |
 * | 5 | reserved (0) |
 * | 6–7 | length of the configuration JSON that follows the header (chunk 0 only) |
 * | 8–11 | the whole unit's length in bytes |
 * | 12–15 | reserved (0) |
 * | 16–23 | sequence number (float64: the owner's track sequence, +1 per unit) |
 * | 24–31 | capture time on the owner's clock, ms since the Unix epoch (float64) |
 * | 32–39, 40–47 | pts, dts in ticks of the track's media clock (float64; -1: not known) |
 * | 48–55 | wall time of the picture, ms since the Unix epoch (float64; -1: not known) |
 * | 56–63 | reserved (0) |
 *
 * The configuration is the viewer protocol's `config` fields (src/wire/config-message.ts) as JSON. Every
 * keyframe carries it, so a hub that lost its place resumes at any keyframe. Pure: no I/O.
 */
import { CODEC_H264, CODEC_H265, CODEC_JPEG } from '../wire/constants.js';
import { configFields, type ConfigFields } from '../wire/config-message.js';
import type { Codec, TrackConfig } from '../media/index.js';
import type { Parsed } from '../wire/json.js';

export const BUS_HEADER_BYTES = 64;
const VERSION = 1;
const FLAG_KEYFRAME = 0x01;
const FLAG_CONFIG = 0x02;
/** The largest unit taken from the bus (the largest a camera's source gives: 8 MiB). */
export const MAX_BUS_UNIT_BYTES = 8 * 1024 * 1024;
const MAX_CONFIG_BYTES = 16 * 1024;
const MAX_CHUNKS = 255;

const CODEC_NUMBERS: Record<Codec, number> = { jpeg: CODEC_JPEG, h264: CODEC_H264, h265: CODEC_H265 };
const CODECS: Record<number, Codec> = { [CODEC_JPEG]: 'jpeg', [CODEC_H264]: 'h264', [CODEC_H265]: 'h265' };

/** A unit as it crosses the bus. */
export interface BusUnit {
  seq: number;
  codec: Codec;
  keyframe: boolean;
  capturedAt: number;
  /** -1: not known. */
  pts: number;
  dts: number;
  wallTime: number;
  /** Keyframes: the decoder configuration's fields. */
  config?: ConfigFields;
  data: Buffer;
}

/** What goes on the bus for `unit`: its chunks, each under `maxPayload` bytes. */
export function encodeBusUnit(
  unit: Omit<BusUnit, 'config' | 'codec'> & { config: TrackConfig },
  maxPayload: number,
): Buffer[] {
  const configJson = unit.keyframe ? Buffer.from(JSON.stringify(configFields(unit.config))) : undefined;
  const room = Math.max(1024, maxPayload - BUS_HEADER_BYTES - (configJson?.length ?? 0) - 64);
  const count = Math.max(1, Math.ceil(unit.data.length / room));
  if (count > MAX_CHUNKS || unit.data.length > MAX_BUS_UNIT_BYTES)
    throw new Error(`access unit of ${unit.data.length} bytes is too big for the bus`);
  const chunks: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const part = unit.data.subarray(i * room, Math.min(unit.data.length, (i + 1) * room));
    const config = i === 0 ? configJson : undefined;
    const header = Buffer.alloc(BUS_HEADER_BYTES);
    header[0] = VERSION;
    header[1] = (unit.keyframe ? FLAG_KEYFRAME : 0) | (config ? FLAG_CONFIG : 0);
    header[2] = CODEC_NUMBERS[unit.config.codec];
    header[3] = i;
    header[4] = count;
    header.writeUInt16BE(config?.length ?? 0, 6);
    header.writeUInt32BE(unit.data.length, 8);
    header.writeDoubleBE(unit.seq, 16);
    header.writeDoubleBE(unit.capturedAt, 24);
    header.writeDoubleBE(unit.pts, 32);
    header.writeDoubleBE(unit.dts, 40);
    header.writeDoubleBE(unit.wallTime, 48);
    chunks.push(Buffer.concat(config ? [header, config, part] : [header, part]));
  }
  return chunks;
}

interface Chunk {
  index: number;
  count: number;
  total: number;
  unit: Omit<BusUnit, 'data'>;
  part: Buffer;
}

function finite(n: number, min: number): boolean {
  return Number.isFinite(n) && n >= min;
}

/** One chunk's header and body, checked; bytes from another hub are untrusted. */
export function decodeBusChunk(message: Uint8Array): Parsed<Chunk> {
  if (message.length < BUS_HEADER_BYTES) return { ok: false, reason: `chunk of ${message.length} bytes` };
  const b = Buffer.from(message.buffer, message.byteOffset, message.length);
  if (b[0] !== VERSION) return { ok: false, reason: `bus frame version ${b[0]}` };
  const flags = b[1]!;
  const codec = CODECS[b[2]!];
  if (!codec) return { ok: false, reason: `codec ${b[2]}` };
  const index = b[3]!;
  const count = b[4]!;
  if (count === 0 || index >= count) return { ok: false, reason: `chunk ${index} of ${count}` };
  const configLength = b.readUInt16BE(6);
  const total = b.readUInt32BE(8);
  if (total === 0 || total > MAX_BUS_UNIT_BYTES) return { ok: false, reason: `unit of ${total} bytes` };
  const seq = b.readDoubleBE(16);
  const capturedAt = b.readDoubleBE(24);
  const pts = b.readDoubleBE(32);
  const dts = b.readDoubleBE(40);
  const wallTime = b.readDoubleBE(48);
  if (!Number.isSafeInteger(seq) || seq < 1) return { ok: false, reason: `sequence number ${seq}` };
  if (!finite(capturedAt, 0) || !finite(pts, -1) || !finite(dts, -1) || !finite(wallTime, -1))
    return { ok: false, reason: 'bad times' };
  const keyframe = (flags & FLAG_KEYFRAME) !== 0;
  const hasConfig = (flags & FLAG_CONFIG) !== 0;
  if (hasConfig !== (keyframe && index === 0) || (!hasConfig && configLength !== 0))
    return { ok: false, reason: 'configuration where none belongs, or none where one must be' };
  if (configLength > MAX_CONFIG_BYTES || BUS_HEADER_BYTES + configLength > b.length)
    return { ok: false, reason: `configuration of ${configLength} bytes` };
  let config: ConfigFields | undefined;
  if (hasConfig) {
    const parsed = parseConfigFields(b.subarray(BUS_HEADER_BYTES, BUS_HEADER_BYTES + configLength));
    if (!parsed.ok) return parsed;
    config = parsed.message;
  }
  const part = b.subarray(BUS_HEADER_BYTES + configLength);
  if (part.length > total) return { ok: false, reason: 'chunk longer than its unit' };
  return {
    ok: true,
    message: {
      index,
      count,
      total,
      part,
      unit: { seq, codec, keyframe, capturedAt, pts, dts, wallTime, ...(config ? { config } : {}) },
    },
  };
}

function parseConfigFields(json: Buffer): Parsed<ConfigFields> {
  let v: unknown;
  try {
    v = JSON.parse(json.toString('utf8'));
  } catch {
    return { ok: false, reason: 'configuration is not JSON' };
  }
  const f = v as Record<string, unknown>;
  if (typeof v !== 'object' || v === null) return { ok: false, reason: 'configuration is not an object' };
  if (typeof f.codec !== 'string' || f.codec.length > 100) return { ok: false, reason: 'configuration codec' };
  if (typeof f.description !== 'string' || f.description.length > MAX_CONFIG_BYTES)
    return { ok: false, reason: 'configuration description' };
  for (const key of ['width', 'height'] as const) {
    const n = f[key];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 16384)
      return { ok: false, reason: `configuration ${key}` };
  }
  return {
    ok: true,
    message: {
      codec: f.codec,
      width: f.width as number,
      height: f.height as number,
      description: f.description,
    },
  };
}

/**
 * Puts a subject's chunks back together. The owner publishes a unit's chunks one after the other, so a
 * chunk out of place means chunks were lost: the unit is dropped (`lost` counts it) and the next chunk 0
 * starts afresh.
 */
export class BusReassembler {
  private current:
    { unit: Omit<BusUnit, 'data'>; parts: Buffer[]; next: number; count: number; total: number } | undefined;
  lost = 0;

  /** A whole unit, or undefined while one is still coming (or was lost). */
  push(chunk: Chunk): BusUnit | undefined {
    if (chunk.index === 0) {
      if (this.current) this.lost++;
      this.current = { unit: chunk.unit, parts: [], next: 0, count: chunk.count, total: chunk.total };
    }
    const c = this.current;
    if (
      !c ||
      chunk.index !== c.next ||
      chunk.count !== c.count ||
      chunk.unit.seq !== c.unit.seq ||
      chunk.total !== c.total
    ) {
      if (c) this.lost++;
      this.current = undefined;
      return undefined;
    }
    c.parts.push(chunk.part);
    c.next++;
    if (c.next < c.count) return undefined;
    this.current = undefined;
    // A copy: the client may reuse the buffer a message was read into.
    const data = Buffer.concat(c.parts);
    if (data.length !== c.total) {
      this.lost++;
      return undefined;
    }
    return { ...c.unit, data };
  }
}
