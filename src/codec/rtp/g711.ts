/**
 * G.711 over RTP (RFC 3551 §4.5.14): PCMU (static payload type 0) and PCMA (8), 8000 Hz, one byte per
 * sample, so the timestamp advances by the bytes before a packet. A unit longer than the payload limit
 * is cut into several packets.
 */
import type { RtpPayload } from './packet.js';

export const PCMU_PAYLOAD_TYPE = 0;
export const PCMA_PAYLOAD_TYPE = 8;
export const G711_CLOCK_RATE = 8000;

export function g711Payloads(samples: Uint8Array, maxPayload: number): RtpPayload[] {
  if (maxPayload < 1) throw new RangeError(`RTP payload limit ${maxPayload} is too small`);
  const out: RtpPayload[] = [];
  for (let at = 0; at < samples.length; at += maxPayload) {
    out.push({ data: samples.subarray(at, Math.min(samples.length, at + maxPayload)), marker: false, timeOffset: at });
  }
  return out;
}
