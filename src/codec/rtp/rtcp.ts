/**
 * RTCP (RFC 3550 §6): the sender report a server sends for each stream, with the SDES CNAME a compound
 * packet must carry. The report ties the stream's RTP time to wall time (NTP), which is how a receiver
 * lines up audio and video.
 */
import { writeU32 } from './packet.js';

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2_208_988_800;

export interface SenderReport {
  ssrc: number;
  /** Wall time of `rtpTimestamp`, ms since the Unix epoch. */
  wallTimeMs: number;
  rtpTimestamp: number;
  packets: number;
  octets: number;
  /** SDES CNAME (at most 255 bytes of ASCII). */
  cname: string;
}

/** SR + SDES as one compound RTCP packet. */
export function senderReport(report: SenderReport): Uint8Array {
  const cname = Array.from(report.cname.slice(0, 255), (c) => c.charCodeAt(0) & 0x7f);
  // SDES chunk: SSRC, CNAME item (type, length, text), end (0), padded to 32 bits.
  const chunk = 4 + 2 + cname.length + 1;
  const sdesBytes = 4 + Math.ceil(chunk / 4) * 4;
  const out = new Uint8Array(28 + sdesBytes);
  out[0] = 0x80; // V=2, no report blocks
  out[1] = 200;
  out[3] = 6; // 7 words - 1
  writeU32(out, 4, report.ssrc >>> 0);
  const seconds = Math.floor(report.wallTimeMs / 1000);
  const fraction = Math.floor(((report.wallTimeMs - seconds * 1000) / 1000) * 0x1_0000_0000);
  writeU32(out, 8, (seconds + NTP_UNIX_OFFSET) >>> 0);
  writeU32(out, 12, Math.min(fraction, 0xffffffff) >>> 0);
  writeU32(out, 16, report.rtpTimestamp >>> 0);
  writeU32(out, 20, report.packets >>> 0);
  writeU32(out, 24, report.octets >>> 0);
  const s = 28;
  out[s] = 0x81; // V=2, one chunk
  out[s + 1] = 202;
  const words = sdesBytes / 4 - 1;
  out[s + 2] = words >> 8;
  out[s + 3] = words & 0xff;
  writeU32(out, s + 4, report.ssrc >>> 0);
  out[s + 8] = 1; // CNAME
  out[s + 9] = cname.length;
  out.set(cname, s + 10);
  return out;
}

/** The fields of a sender report at the start of a compound packet (tests, checks); undefined if none. */
export function readSenderReport(
  packet: Uint8Array,
): { ssrc: number; wallTimeMs: number; rtpTimestamp: number; packets: number; octets: number } | undefined {
  if (packet.length < 28 || packet[0]! >> 6 !== 2 || packet[1] !== 200) return undefined;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const seconds = view.getUint32(8) - NTP_UNIX_OFFSET;
  return {
    ssrc: view.getUint32(4),
    wallTimeMs: seconds * 1000 + (view.getUint32(12) / 0x1_0000_0000) * 1000,
    rtpTimestamp: view.getUint32(16),
    packets: view.getUint32(20),
    octets: view.getUint32(24),
  };
}
