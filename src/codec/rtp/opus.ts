/**
 * Opus over RTP (RFC 7587): one Opus packet per RTP packet, as it is, 48 kHz clock whatever the encoder's
 * rate; never fragmented (an Opus packet is at most 1275 bytes per frame, and RFC 7587 has no fragments).
 */
import type { RtpPayload } from './packet.js';

export const OPUS_CLOCK_RATE = 48000;

export function opusPayloads(packets: readonly Uint8Array[], packetTicks: number): RtpPayload[] {
  return packets.filter((p) => p.length > 0).map((data, i) => ({ data, marker: false, timeOffset: i * packetTicks }));
}
