/**
 * H.264 over RTP (RFC 6184), packetization mode 1 (non-interleaved): a NAL unit that fits goes as it is
 * (single NAL unit packet); a larger one in FU-A fragments (§5.8). The marker bit is set on the access
 * unit's last packet. NAL units are passed as they are (byte-exact): the receiver gets the camera's own.
 */
import type { RtpPayload } from './packet.js';

const FU_A = 28;

/** RTP payloads of one access unit's NAL units, none over `maxPayload` bytes (at least 3). */
export function h264Payloads(nalus: readonly Uint8Array[], maxPayload: number): RtpPayload[] {
  if (maxPayload < 3) throw new RangeError(`RTP payload limit ${maxPayload} is too small for FU-A`);
  const out: RtpPayload[] = [];
  for (const nal of nalus) {
    if (nal.length === 0) continue;
    if (nal.length <= maxPayload) {
      out.push({ data: nal, marker: false });
      continue;
    }
    const indicator = (nal[0]! & 0xe0) | FU_A;
    const type = nal[0]! & 0x1f;
    const chunk = maxPayload - 2;
    for (let at = 1; at < nal.length; at += chunk) {
      const end = Math.min(nal.length, at + chunk);
      const data = new Uint8Array(2 + end - at);
      data[0] = indicator;
      data[1] = (at === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
      data.set(nal.subarray(at, end), 2);
      out.push({ data, marker: false });
    }
  }
  if (out.length > 0) out[out.length - 1]!.marker = true;
  return out;
}

/**
 * The NAL units of one access unit back from its RTP payloads (single NAL units, FU-A, STAP-A), for tests
 * and checks: what a receiver reassembles.
 */
export function h264Depacketize(payloads: readonly Uint8Array[]): Uint8Array[] {
  const nalus: Uint8Array[] = [];
  let fu: number[] | undefined;
  for (const p of payloads) {
    const type = p[0]! & 0x1f;
    if (type === FU_A) {
      const start = (p[1]! & 0x80) !== 0;
      if (start) fu = [(p[0]! & 0xe0) | (p[1]! & 0x1f)];
      if (!fu) throw new Error('FU-A fragment without its start');
      for (let i = 2; i < p.length; i++) fu.push(p[i]!);
      if ((p[1]! & 0x40) !== 0) {
        nalus.push(Uint8Array.from(fu));
        fu = undefined;
      }
    } else if (type === 24) {
      for (let at = 1; at + 2 <= p.length;) {
        const size = (p[at]! << 8) | p[at + 1]!;
        nalus.push(p.subarray(at + 2, at + 2 + size));
        at += 2 + size;
      }
    } else {
      nalus.push(p);
    }
  }
  if (fu) throw new Error('FU-A fragments without their end');
  return nalus;
}
