/**
 * G.711 (ITU-T G.711): 8-bit A-law (PCMA) and µ-law (PCMU) samples, what most IP cameras' microphones
 * send over RTSP besides AAC. Decoded here to 16-bit linear PCM, exactly (the tables are the
 * standard's), so it can be repacked losslessly (FLAC, flac/frame.ts) for browsers that do not play it.
 */

export type G711Law = 'alaw' | 'ulaw';

function alawSample(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a >> 4) & 7;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

function ulawSample(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 7;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

function table(decode: (byte: number) => number): Int16Array {
  const t = new Int16Array(256);
  for (let i = 0; i < 256; i++) t[i] = decode(i);
  return t;
}

const TABLES: Readonly<Record<G711Law, Int16Array>> = { alaw: table(alawSample), ulaw: table(ulawSample) };

/** One 16-bit sample per byte. */
export function decodeG711(law: G711Law, data: Uint8Array): Int16Array {
  const t = TABLES[law];
  const out = new Int16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = t[data[i]!]!;
  return out;
}

/**
 * Low bits that are zero in every decoded sample of the law (A-law's are multiples of 8, µ-law's of
 * 4): FLAC's "wasted bits", which it need not store.
 */
export const G711_WASTED_BITS: Readonly<Record<G711Law, number>> = { alaw: 3, ulaw: 2 };
