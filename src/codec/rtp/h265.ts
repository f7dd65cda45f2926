/**
 * H.265 over RTP (RFC 7798), without DONL (sprop-max-don-diff 0): a NAL unit that fits goes as it is
 * (single NAL unit packet, §4.4.1); a larger one in fragmentation units (type 49, §4.4.3): the two-byte
 * payload header keeps the NAL unit's F, layer id and temporal id, the FU header its type. The marker bit
 * is set on the access unit's last packet.
 */
import type { RtpPayload } from './packet.js';

const FU = 49;

/** RTP payloads of one access unit's NAL units, none over `maxPayload` bytes (at least 4). */
export function h265Payloads(nalus: readonly Uint8Array[], maxPayload: number): RtpPayload[] {
  if (maxPayload < 4) throw new RangeError(`RTP payload limit ${maxPayload} is too small for an FU`);
  const out: RtpPayload[] = [];
  for (const nal of nalus) {
    if (nal.length < 2) continue; // not even a NAL unit header
    if (nal.length <= maxPayload) {
      out.push({ data: nal, marker: false });
      continue;
    }
    const header0 = (nal[0]! & 0x81) | (FU << 1);
    const header1 = nal[1]!;
    const type = (nal[0]! >> 1) & 0x3f;
    const chunk = maxPayload - 3;
    for (let at = 2; at < nal.length; at += chunk) {
      const end = Math.min(nal.length, at + chunk);
      const data = new Uint8Array(3 + end - at);
      data[0] = header0;
      data[1] = header1;
      data[2] = (at === 2 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
      data.set(nal.subarray(at, end), 3);
      out.push({ data, marker: false });
    }
  }
  if (out.length > 0) out[out.length - 1]!.marker = true;
  return out;
}

/** The NAL units of one access unit back from its payloads (single NAL units, FUs, APs), for tests. */
export function h265Depacketize(payloads: readonly Uint8Array[]): Uint8Array[] {
  const nalus: Uint8Array[] = [];
  let fu: number[] | undefined;
  for (const p of payloads) {
    const type = (p[0]! >> 1) & 0x3f;
    if (type === FU) {
      if ((p[2]! & 0x80) !== 0) fu = [(p[0]! & 0x81) | ((p[2]! & 0x3f) << 1), p[1]!];
      if (!fu) throw new Error('FU without its start');
      for (let i = 3; i < p.length; i++) fu.push(p[i]!);
      if ((p[2]! & 0x40) !== 0) {
        nalus.push(Uint8Array.from(fu));
        fu = undefined;
      }
    } else if (type === 48) {
      for (let at = 2; at + 2 <= p.length;) {
        const size = (p[at]! << 8) | p[at + 1]!;
        nalus.push(p.subarray(at + 2, at + 2 + size));
        at += 2 + size;
      }
    } else {
      nalus.push(p);
    }
  }
  if (fu) throw new Error('FU fragments without their end');
  return nalus;
}
