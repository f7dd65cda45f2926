/**
 * AAC over RTP as RFC 3640 mpeg4-generic, mode AAC-hbr (sizelength 13, indexlength 3, indexdeltalength 3):
 * each raw AAC frame (no ADTS header) in a packet of its own, after the AU-headers-length (16 bits: 16)
 * and one AU header (13 bits of size, 3 of index 0). A frame over the payload limit is fragmented
 * (§3.2.3): every fragment carries the whole frame's size, the marker only on the last one.
 */
import type { RtpPayload } from './packet.js';

/** The largest AAC frame AAC-hbr's 13-bit size can say. */
export const MAX_AAC_FRAME = 8191;

/** RTP payloads of raw AAC frames, each `frameTicks` apart (1024 samples for AAC-LC). */
export function aacPayloads(frames: readonly Uint8Array[], maxPayload: number, frameTicks = 1024): RtpPayload[] {
  if (maxPayload < 5) throw new RangeError(`RTP payload limit ${maxPayload} is too small for AAC`);
  const out: RtpPayload[] = [];
  frames.forEach((frame, i) => {
    if (frame.length === 0) return;
    if (frame.length > MAX_AAC_FRAME) throw new RangeError(`AAC frame of ${frame.length} bytes is over 8191`);
    const chunk = maxPayload - 4;
    for (let at = 0; at < frame.length; at += chunk) {
      const end = Math.min(frame.length, at + chunk);
      const data = new Uint8Array(4 + end - at);
      data[0] = 0;
      data[1] = 16; // AU-headers-length in bits: one 16-bit header
      data[2] = frame.length >> 5;
      data[3] = (frame.length & 0x1f) << 3; // AU-index 0
      data.set(frame.subarray(at, end), 4);
      out.push({ data, marker: end === frame.length, timeOffset: i * frameTicks });
    }
  });
  return out;
}

/** The AAC frames of AAC-hbr payloads (one or more AU headers each; fragments joined), for tests. */
export function aacDepacketize(payloads: readonly Uint8Array[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let partial: number[] = [];
  for (const p of payloads) {
    const headers = ((p[0]! << 8) | p[1]!) / 16;
    let data = 2 + headers * 2;
    for (let h = 0; h < headers; h++) {
      const size = ((p[2 + 2 * h]! << 8) | p[3 + 2 * h]!) >> 3;
      if (headers === 1 && (partial.length > 0 || p.length - data < size)) {
        for (let i = data; i < p.length; i++) partial.push(p[i]!);
        if (partial.length > size) throw new Error('AAC fragments longer than their frame');
        if (partial.length === size) {
          frames.push(Uint8Array.from(partial));
          partial = [];
        }
        break;
      }
      frames.push(p.subarray(data, data + size));
      data += size;
    }
  }
  if (partial.length > 0) throw new Error('AAC fragments without their end');
  return frames;
}

const SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** An AudioSpecificConfig (ISO 14496-3 §1.6.2.1) for `objectType` (2: AAC-LC), when no camera gave one. */
export function audioSpecificConfig(sampleRate: number, channels: number, objectType = 2): Uint8Array {
  const index = SAMPLE_RATES.indexOf(sampleRate);
  if (index < 0) throw new RangeError(`AAC sample rate ${sampleRate} has no index`);
  if (channels < 1 || channels > 7) throw new RangeError(`AAC channel count ${channels} is not 1..7`);
  return new Uint8Array([(objectType << 3) | (index >> 1), ((index & 1) << 7) | (channels << 3)]);
}
