/**
 * A FLAC encoder small enough to repack decoded G.711 losslessly for MSE (Chromium and Firefox play
 * FLAC in MP4, not G.711): one frame per packet, fixed-blocksize, each channel a FIXED order-2
 * predictor subframe with one Rice partition, or VERBATIM when that is smaller, with the
 * "wasted bits" G.711 always has. Also the STREAMINFO block MP4's `dfLa` carries.
 */
import { CodecError } from '../errors.js';
import { BitWriter } from './bit-writer.js';

export interface FlacStreamInfo {
  sampleRate: number;
  channels: number;
  /** Bits per sample: 16 here. */
  bitsPerSample: number;
  /** Samples per channel in a block (min = max: the packets' length; 16..65535). */
  blockSize: number;
}

/** A frame holds at most this many samples per channel (FLAC's limit). */
export const MAX_FLAC_BLOCK = 65535;

function checkInfo(info: FlacStreamInfo): void {
  const { sampleRate, channels, bitsPerSample, blockSize } = info;
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 655350) {
    throw new CodecError('invalid', `FLAC sample rate ${sampleRate}`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 8) {
    throw new CodecError('invalid', `FLAC channels ${channels}`);
  }
  if (bitsPerSample !== 16) throw new CodecError('unsupported', `FLAC at ${bitsPerSample} bits per sample`);
  if (!Number.isInteger(blockSize) || blockSize < 16 || blockSize > MAX_FLAC_BLOCK) {
    throw new CodecError('invalid', `FLAC block size ${blockSize}`);
  }
}

/** The 34-byte STREAMINFO (frame sizes and sample count unknown: 0; no MD5). */
export function flacStreamInfo(info: FlacStreamInfo): Uint8Array {
  checkInfo(info);
  const w = new BitWriter(34);
  w.write(16, 16); // minimum block size: the last block may be shorter
  w.write(info.blockSize, 16);
  w.write(0, 24);
  w.write(0, 24);
  w.write(info.sampleRate, 20);
  w.write(info.channels - 1, 3);
  w.write(info.bitsPerSample - 1, 5);
  w.write(0, 36);
  for (let i = 0; i < 16; i++) w.write(0, 8);
  return w.view().slice();
}

/** The metadata blocks of `dfLa` (and of a .flac file after `fLaC`): STREAMINFO alone, marked last. */
export function flacMetadataBlocks(info: FlacStreamInfo): Uint8Array {
  const streamInfo = flacStreamInfo(info);
  const out = new Uint8Array(4 + streamInfo.length);
  out[0] = 0x80; // last-metadata-block, type 0 (STREAMINFO)
  out[3] = streamInfo.length;
  out.set(streamInfo, 4);
  return out;
}

function crc8(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

const CRC16 = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
    t[n] = crc;
  }
  return t;
})();

function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) crc = ((crc << 8) & 0xffff) ^ CRC16[(crc >> 8) ^ byte]!;
  return crc;
}

/** The sample-rate codes of a frame header that need no extra bytes. */
const RATE_CODES: ReadonlyMap<number, number> = new Map([
  [88200, 1],
  [176400, 2],
  [192000, 3],
  [8000, 4],
  [16000, 5],
  [22050, 6],
  [24000, 7],
  [32000, 8],
  [44100, 9],
  [48000, 10],
  [96000, 11],
]);

/** The frame number in FLAC's UTF-8-like coding (up to 31 bits). */
function writeCodedNumber(w: BitWriter, n: number): void {
  if (n < 0x80) return w.write(n, 8);
  let bytes = 2;
  while (n >= 2 ** (5 * bytes + 1)) bytes++;
  const first = (0xff00 >> bytes) & 0xff;
  w.write(first | Math.floor(n / 2 ** (6 * (bytes - 1))), 8);
  for (let i = bytes - 2; i >= 0; i--) w.write(0x80 | (Math.floor(n / 2 ** (6 * i)) & 0x3f), 8);
}

/** Rice-coded size in bits of `residual` with parameter k. */
function riceBits(residual: Int32Array, k: number): number {
  let bits = 0;
  for (const r of residual) {
    const u = r >= 0 ? r * 2 : -r * 2 - 1;
    bits += (u >>> k) + 1 + k;
  }
  return bits;
}

function trailingZeros(samples: Int32Array): number {
  let or = 0;
  for (const s of samples) or |= s;
  if (or === 0) return 0;
  let n = 0;
  while ((or & 1) === 0 && n < 15) {
    or >>= 1;
    n++;
  }
  return n;
}

/** One channel's subframe: FIXED order 2 with the best Rice parameter, or VERBATIM if smaller. */
function writeSubframe(w: BitWriter, input: Int32Array, bitsPerSample: number): void {
  const wasted = trailingZeros(input);
  const samples = wasted ? input.map((s) => s >> wasted) : input;
  const bits = bitsPerSample - wasted;
  const n = samples.length;
  const order = n > 2 ? 2 : 0;
  const residual = new Int32Array(n - order);
  for (let i = order; i < n; i++) residual[i - order] = samples[i]! - 2 * samples[i - 1]! + samples[i - 2]!;
  let bestK = 0;
  let best = Infinity;
  for (let k = 0; k <= 14 && order > 0; k++) {
    const size = riceBits(residual, k);
    if (size < best) {
      best = size;
      bestK = k;
    }
  }
  const fixedBits = order > 0 ? order * bits + 2 + 4 + 4 + best : Infinity;
  const header = (type: number): void => {
    w.writeBit(0);
    w.write(type, 6);
    if (wasted) {
      w.writeBit(1);
      w.unary(wasted - 1);
    } else w.writeBit(0);
  };
  if (fixedBits >= n * bits) {
    header(0b000001); // VERBATIM
    for (const s of samples) w.signed(s, bits);
    return;
  }
  header(0b001000 | order); // FIXED, order 2
  for (let i = 0; i < order; i++) w.signed(samples[i]!, bits);
  w.write(0, 2); // Rice, 4-bit parameters
  w.write(0, 4); // partition order 0
  w.write(bestK, 4);
  for (const r of residual) {
    const u = r >= 0 ? r * 2 : -r * 2 - 1;
    w.unary(u >>> bestK);
    w.write(u & ((1 << bestK) - 1), bestK);
  }
}

/**
 * One FLAC frame of `samples` (interleaved, `info.channels` per instant; at most info.blockSize per
 * channel), number `frameNumber` of a fixed-blocksize stream. Samples are 16-bit.
 */
export function flacFrame(info: FlacStreamInfo, frameNumber: number, samples: Int16Array): Uint8Array {
  checkInfo(info);
  const { channels } = info;
  if (samples.length === 0 || samples.length % channels !== 0) {
    throw new CodecError('invalid', `${samples.length} samples for ${channels} channels`);
  }
  const count = samples.length / channels;
  if (count > info.blockSize) throw new CodecError('too-large', `${count} samples in a block of ${info.blockSize}`);
  if (!Number.isInteger(frameNumber) || frameNumber < 0 || frameNumber > 0x7fffffff) {
    throw new CodecError('invalid', `FLAC frame number ${frameNumber}`);
  }
  const w = new BitWriter(64 + samples.length * 2);
  w.write(0b11111111111110, 14);
  w.writeBit(0);
  w.writeBit(0); // fixed block size
  const blockCode = count <= 256 ? 0b0110 : 0b0111;
  w.write(blockCode, 4);
  const rateCode = RATE_CODES.get(info.sampleRate) ?? (info.sampleRate <= 0xffff ? 0b1101 : 0);
  w.write(rateCode, 4);
  w.write(channels - 1, 4); // independent channels
  w.write(0b100, 3); // 16 bits per sample
  w.writeBit(0);
  writeCodedNumber(w, frameNumber);
  if (blockCode === 0b0110) w.write(count - 1, 8);
  else w.write(count - 1, 16);
  if (rateCode === 0b1101) w.write(info.sampleRate, 16);
  w.write(crc8(w.view()), 8);
  const channel = new Int32Array(count);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < count; i++) channel[i] = samples[i * channels + c]!;
    writeSubframe(w, channel, info.bitsPerSample);
  }
  w.align();
  w.write(crc16(w.view()), 16);
  return w.view().slice();
}
