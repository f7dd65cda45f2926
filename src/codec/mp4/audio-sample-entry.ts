/**
 * The audio sample entry of an MP4 track: `mp4a` + `esds` (AAC, ISO/IEC 14496-14), `fLaC` + `dfLa`
 * (FLAC in ISO BMFF, what G.711 is repacked to for browsers) or `Opus` + `dOps` (Opus in ISO BMFF).
 * Shared by the fragmented writer (MSE, recordings), the progressive writer (exports) and the reader.
 */
import { aacCodecString, parseAudioSpecificConfig } from '../aac/audio-specific-config.js';
import { CodecError } from '../errors.js';
import { parseDOps } from '../opus/opus-head.js';
import { box, FieldWriter, fullBox, readBoxes, type BoxInfo } from './boxes.js';

export type Mp4AudioCodec = 'aac' | 'flac' | 'opus';

/** An audio track's decoder setup as MP4 stores it. */
export interface AudioRecord {
  codec: Mp4AudioCodec;
  /** Hz: the track's timescale too (48000 for Opus). */
  sampleRate: number;
  channels: number;
  /**
   * AAC: the AudioSpecificConfig. FLAC: the metadata blocks (STREAMINFO first; flac/frame.ts
   * flacMetadataBlocks). Opus: the dOps body (opus/opus-head.ts buildDOps).
   */
  description: Uint8Array;
}

const ENTRY: Readonly<Record<Mp4AudioCodec, string>> = { aac: 'mp4a', flac: 'fLaC', opus: 'Opus' };

/** Checks a record: its description parses and agrees with its rate and channels. */
export function checkAudioRecord(record: AudioRecord): void {
  const { codec, sampleRate, channels, description } = record;
  if (!Number.isInteger(sampleRate) || sampleRate < 1000 || sampleRate > 192000) {
    throw new CodecError('invalid', `audio sample rate ${sampleRate}`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 8) {
    throw new CodecError('invalid', `audio channels ${channels}`);
  }
  if (codec === 'aac') {
    const asc = parseAudioSpecificConfig(description);
    if (asc.sampleRate !== sampleRate || asc.channels !== channels) {
      throw new CodecError(
        'invalid',
        `AudioSpecificConfig says ${asc.sampleRate} Hz ${asc.channels} ch, the track ${sampleRate} Hz ${channels} ch`,
      );
    }
  } else if (codec === 'opus') {
    const head = parseDOps(description);
    if (sampleRate !== 48000 || head.channels !== channels) {
      throw new CodecError('invalid', `Opus track at ${sampleRate} Hz ${channels} ch (dOps: ${head.channels} ch)`);
    }
  } else if (codec === 'flac') {
    if (description.length < 38 || (description[0]! & 0x7f) !== 0) {
      throw new CodecError('invalid', 'FLAC metadata without STREAMINFO first');
    }
    const rate = (description[14]! << 12) | (description[15]! << 4) | (description[16]! >> 4);
    const ch = ((description[16]! >> 1) & 7) + 1;
    if (rate !== sampleRate || ch !== channels) {
      throw new CodecError('invalid', `STREAMINFO says ${rate} Hz ${ch} ch, the track ${sampleRate} Hz ${channels} ch`);
    }
  } else throw new CodecError('unsupported', `audio codec ${String(codec)}`);
}

/** The RFC 6381 codec string (`mp4a.40.2`, `flac`, `opus`) for MSE and WebCodecs. */
export function audioCodecString(record: AudioRecord): string {
  if (record.codec === 'aac') return aacCodecString(parseAudioSpecificConfig(record.description));
  return record.codec;
}

/** An MPEG-4 descriptor: tag, size (one byte up to 127, else four), body. */
function descriptor(tag: number, ...body: Uint8Array[]): Uint8Array {
  const size = body.reduce((n, b) => n + b.length, 0);
  const w = new FieldWriter().u8(tag);
  if (size < 0x80) w.u8(size);
  else
    w.u8(0x80 | ((size >> 21) & 0x7f))
      .u8(0x80 | ((size >> 14) & 0x7f))
      .u8(0x80 | ((size >> 7) & 0x7f))
      .u8(size & 0x7f);
  for (const b of body) w.raw(b);
  return w.finish();
}

function esds(asc: Uint8Array): Uint8Array {
  const decoderConfig = descriptor(
    0x04,
    new FieldWriter()
      .u8(0x40) // objectTypeIndication: MPEG-4 audio
      .u8(0x15) // streamType 5 (audio) << 2 | 1
      .u24(0) // bufferSizeDB
      .u32(0) // maxBitrate
      .u32(0) // avgBitrate
      .finish(),
    descriptor(0x05, asc),
  );
  const es = descriptor(
    0x03,
    new FieldWriter().u16(0).u8(0).finish(),
    decoderConfig,
    descriptor(0x06, Uint8Array.of(2)),
  );
  return fullBox('esds', 0, 0, es);
}

/** The AudioSampleEntry (`mp4a`, `fLaC` or `Opus`) with its configuration box. */
export function audioSampleEntry(record: AudioRecord): Uint8Array {
  checkAudioRecord(record);
  const rate = record.sampleRate > 0xffff ? 0 : record.sampleRate;
  const fields = new FieldWriter()
    .zeros(6)
    .u16(1) // data_reference_index
    .zeros(8) // reserved
    .u16(record.channels)
    .u16(16) // samplesize
    .u16(0)
    .u16(0)
    .u32(rate * 0x10000)
    .finish();
  const config =
    record.codec === 'aac'
      ? esds(record.description)
      : record.codec === 'flac'
        ? fullBox('dfLa', 0, 0, record.description)
        : box('dOps', record.description);
  return box(ENTRY[record.codec], fields, config);
}

/** Reads a descriptor's tag, body start and end at `at` (bounded by `end`). */
function readDescriptor(data: Uint8Array, at: number, end: number): { tag: number; start: number; end: number } {
  if (at + 2 > end) throw new CodecError('truncated', 'esds descriptor header');
  const tag = data[at++]!;
  let size = 0;
  for (let i = 0; i < 4; i++) {
    if (at >= end) throw new CodecError('truncated', 'esds descriptor size');
    const b = data[at++]!;
    size = (size << 7) | (b & 0x7f);
    if (!(b & 0x80)) break;
  }
  if (at + size > end) throw new CodecError('truncated', `esds descriptor ${tag} of ${size} bytes runs past its box`);
  return { tag, start: at, end: at + size };
}

/** The AudioSpecificConfig in an esds box's body (after the full box header). */
function ascOfEsds(data: Uint8Array, start: number, end: number): Uint8Array {
  const es = readDescriptor(data, start, end);
  if (es.tag !== 0x03) throw new CodecError('invalid', `esds starts with descriptor ${es.tag}`);
  const flags = data[es.start + 2] ?? 0;
  let at = es.start + 3;
  if (flags & 0x80) at += 2;
  if (flags & 0x40) at += 1 + (data[at] ?? 0);
  if (flags & 0x20) at += 2;
  const dc = readDescriptor(data, at, es.end);
  if (dc.tag !== 0x04) throw new CodecError('invalid', `esds DecoderConfigDescriptor tag ${dc.tag}`);
  if (data[dc.start] !== 0x40)
    throw new CodecError('unsupported', `esds object type 0x${data[dc.start]?.toString(16)}`);
  const dsi = readDescriptor(data, dc.start + 13, dc.end);
  if (dsi.tag !== 0x05) throw new CodecError('invalid', `esds DecoderSpecificInfo tag ${dsi.tag}`);
  return data.slice(dsi.start, dsi.end);
}

/** The record of an audio sample entry box (`entry` walked in `data`); CodecError when it is not one. */
export function parseAudioSampleEntry(data: Uint8Array, entry: BoxInfo): AudioRecord {
  const codec = (Object.keys(ENTRY) as Mp4AudioCodec[]).find((c) => ENTRY[c] === entry.type);
  if (!codec) throw new CodecError('unsupported', `audio sample entry ${entry.type}`);
  const body = entry.start + entry.headerSize;
  if (entry.end - body < 28) throw new CodecError('truncated', `${entry.type} sample entry`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const channels = view.getUint16(body + 16);
  let sampleRate = view.getUint32(body + 24) >>> 16;
  const children = readBoxes(data, body + 28, entry.end, 16);
  const child = (type: string): BoxInfo => {
    const found = children.find((b) => b.type === type);
    if (!found) throw new CodecError('invalid', `${entry.type} sample entry without ${type}`);
    return found;
  };
  let description: Uint8Array;
  if (codec === 'aac') {
    const b = child('esds');
    description = ascOfEsds(data, b.start + b.headerSize + 4, b.end);
    sampleRate = parseAudioSpecificConfig(description).sampleRate;
  } else if (codec === 'flac') {
    const b = child('dfLa');
    description = data.slice(b.start + b.headerSize + 4, b.end);
    if (description.length >= 18)
      sampleRate = (description[14]! << 12) | (description[15]! << 4) | (description[16]! >> 4);
  } else {
    const b = child('dOps');
    description = data.slice(b.start + b.headerSize, b.end);
    sampleRate = 48000;
  }
  const record: AudioRecord = { codec, sampleRate, channels, description };
  checkAudioRecord(record);
  return record;
}
