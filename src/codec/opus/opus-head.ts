/**
 * Opus's identification header (RFC 7845 5.1, `OpusHead`, little-endian) and MP4's `dOps` (the same
 * fields big-endian, "Encapsulation of Opus in ISO Base Media File Format"), and the duration of a
 * packet from its TOC byte (RFC 6716 3.1). Opus always runs at 48 kHz.
 */
import { CodecError } from '../errors.js';

export const OPUS_SAMPLE_RATE = 48000;

export interface OpusHead {
  channels: number;
  /** Samples at 48 kHz to drop from the decoder's start. */
  preSkip: number;
  /** The encoder's input rate (informational). */
  inputSampleRate: number;
  /** Q7.8 dB. */
  outputGain: number;
  /** 0: mono or stereo, no table; 1: Vorbis order, with the table. */
  mappingFamily: number;
  /** Family 1 and up: streams, coupled streams and the channel mapping. */
  streamCount?: number;
  coupledCount?: number;
  mapping?: Uint8Array;
}

function checkHead(head: OpusHead): void {
  if (!Number.isInteger(head.channels) || head.channels < 1 || head.channels > 255) {
    throw new CodecError('invalid', `Opus channel count ${head.channels}`);
  }
  if (head.mappingFamily === 0) {
    if (head.channels > 2) throw new CodecError('invalid', `Opus mapping family 0 with ${head.channels} channels`);
    return;
  }
  const { streamCount, coupledCount, mapping } = head;
  if (streamCount === undefined || coupledCount === undefined || !mapping) {
    throw new CodecError('invalid', `Opus mapping family ${head.mappingFamily} without its table`);
  }
  if (streamCount < 1 || coupledCount > streamCount || mapping.length !== head.channels) {
    throw new CodecError('invalid', 'Opus channel mapping table does not match its channels');
  }
}

/** Parses an OpusHead packet (CodecError when it is not one, or is inconsistent). */
export function parseOpusHead(data: Uint8Array): OpusHead {
  if (data.length < 19) throw new CodecError('truncated', `OpusHead of ${data.length} bytes`);
  const magic = String.fromCharCode(...data.subarray(0, 8));
  if (magic !== 'OpusHead') throw new CodecError('invalid', 'no OpusHead magic');
  const version = data[8]!;
  if (version >> 4 !== 0) throw new CodecError('unsupported', `OpusHead version ${version}`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const head: OpusHead = {
    channels: data[9]!,
    preSkip: view.getUint16(10, true),
    inputSampleRate: view.getUint32(12, true),
    outputGain: view.getInt16(16, true),
    mappingFamily: data[18]!,
  };
  if (head.mappingFamily !== 0) {
    if (data.length < 21 + head.channels) throw new CodecError('truncated', 'OpusHead channel mapping table');
    head.streamCount = data[19]!;
    head.coupledCount = data[20]!;
    head.mapping = data.slice(21, 21 + head.channels);
  }
  checkHead(head);
  return head;
}

function writeHead(head: OpusHead, littleEndian: boolean, prefix: Uint8Array, version: number): Uint8Array {
  checkHead(head);
  const table = head.mappingFamily === 0 ? 0 : 2 + head.channels;
  const out = new Uint8Array(prefix.length + 11 + table);
  out.set(prefix, 0);
  const view = new DataView(out.buffer);
  let at = prefix.length;
  out[at++] = version;
  out[at++] = head.channels;
  view.setUint16(at, head.preSkip, littleEndian);
  view.setUint32(at + 2, head.inputSampleRate, littleEndian);
  view.setInt16(at + 6, head.outputGain, littleEndian);
  at += 8;
  out[at++] = head.mappingFamily;
  if (table) {
    out[at++] = head.streamCount!;
    out[at++] = head.coupledCount!;
    out.set(head.mapping!, at);
  }
  return out;
}

const MAGIC = Uint8Array.from('OpusHead', (c) => c.charCodeAt(0));

/** The OpusHead packet (WebCodecs' `description` for Opus, an Ogg stream's first packet). */
export function buildOpusHead(head: OpusHead): Uint8Array {
  return writeHead(head, true, MAGIC, 1);
}

/** The body of MP4's `dOps` box. */
export function buildDOps(head: OpusHead): Uint8Array {
  return writeHead(head, false, new Uint8Array(0), 0);
}

/** Parses a `dOps` body back. */
export function parseDOps(data: Uint8Array): OpusHead {
  if (data.length < 11) throw new CodecError('truncated', `dOps of ${data.length} bytes`);
  if (data[0] !== 0) throw new CodecError('unsupported', `dOps version ${data[0]}`);
  // Same fields as OpusHead, big-endian: swap into an OpusHead and parse that.
  const head = new Uint8Array(8 + data.length);
  head.set(MAGIC, 0);
  head.set(data, 8);
  head[8] = 1;
  const view = new DataView(head.buffer);
  view.setUint16(10, view.getUint16(10), true);
  view.setUint32(12, view.getUint32(12), true);
  view.setInt16(16, view.getInt16(16), true);
  return parseOpusHead(head);
}

/** The duration of one Opus packet, in 48 kHz samples (CodecError for an empty or malformed one). */
export function opusPacketSamples(packet: Uint8Array): number {
  if (packet.length === 0) throw new CodecError('truncated', 'empty Opus packet');
  const toc = packet[0]!;
  const config = toc >> 3;
  let frame: number; // in 48 kHz samples
  if (config < 12) frame = [480, 960, 1920, 2880][config & 3]!;
  else if (config < 16) frame = [480, 960][config & 1]!;
  else frame = [120, 240, 480, 960][config & 3]!;
  const code = toc & 3;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code !== 3) frames = 2;
  else {
    if (packet.length < 2) throw new CodecError('truncated', 'Opus packet without its frame count');
    frames = packet[1]! & 0x3f;
    if (frames === 0) throw new CodecError('invalid', 'Opus packet of 0 frames');
  }
  const samples = frame * frames;
  if (samples > 5760) throw new CodecError('invalid', `Opus packet of ${samples / 48} ms (over 120)`);
  return samples;
}

/** The RFC 6381 codec string. */
export const OPUS_CODEC_STRING = 'opus';
