/**
 * SDP (RFC 8866) for an RTSP DESCRIBE: one session, one media section per track, each with its payload
 * type, clock rate and the codec's parameters: H.264's `profile-level-id` and `sprop-parameter-sets`
 * (RFC 6184 §8.1), H.265's `sprop-vps/sps/pps` (RFC 7798 §7.1), AAC's `config` (RFC 3640 §4.1), Opus's
 * fixed `opus/48000/2` (RFC 7587 §7).
 */
import { base64 } from './base64.js';
import { G711_CLOCK_RATE, PCMA_PAYLOAD_TYPE, PCMU_PAYLOAD_TYPE } from './g711.js';
import { OPUS_CLOCK_RATE } from './opus.js';

export interface SdpMedia {
  kind: 'video' | 'audio';
  payloadType: number;
  /** `H264/90000`, `MPEG4-GENERIC/44100/2`, … */
  rtpmap: string;
  fmtp?: string;
  clockRate: number;
  /** Video: pictures per second (`a=framerate`, RFC 8866 §6.17): clients need not measure it first. */
  framerate?: number;
}

/** An H.264 track; `sps` and `pps` without start codes or lengths. */
export function h264Media(payloadType: number, sps: readonly Uint8Array[], pps: readonly Uint8Array[]): SdpMedia {
  const first = sps[0];
  if (!first || first.length < 4) throw new RangeError('an H.264 track needs its SPS in the SDP');
  const hex = (b: number): string => b.toString(16).padStart(2, '0');
  const profileLevelId = hex(first[1]!) + hex(first[2]!) + hex(first[3]!);
  const sets = [...sps, ...pps].map(base64).join(',');
  return {
    kind: 'video',
    payloadType,
    rtpmap: 'H264/90000',
    fmtp: `packetization-mode=1;profile-level-id=${profileLevelId};sprop-parameter-sets=${sets}`,
    clockRate: 90000,
  };
}

/** An H.265 track. */
export function h265Media(
  payloadType: number,
  sets: { vps: readonly Uint8Array[]; sps: readonly Uint8Array[]; pps: readonly Uint8Array[] },
): SdpMedia {
  if (!sets.vps.length || !sets.sps.length || !sets.pps.length)
    throw new RangeError('an H.265 track needs its VPS, SPS and PPS in the SDP');
  const list = (units: readonly Uint8Array[]): string => units.map(base64).join(',');
  return {
    kind: 'video',
    payloadType,
    rtpmap: 'H265/90000',
    fmtp: `sprop-vps=${list(sets.vps)};sprop-sps=${list(sets.sps)};sprop-pps=${list(sets.pps)}`,
    clockRate: 90000,
  };
}

/** An AAC track (AAC-hbr) from its AudioSpecificConfig. */
export function aacMedia(payloadType: number, sampleRate: number, channels: number, config: Uint8Array): SdpMedia {
  const hex = Array.from(config, (b) => b.toString(16).padStart(2, '0')).join('');
  return {
    kind: 'audio',
    payloadType,
    rtpmap: `MPEG4-GENERIC/${sampleRate}/${channels}`,
    fmtp: `streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=${hex}`,
    clockRate: sampleRate,
  };
}

/** A G.711 track: PCMA (A-law) or PCMU (µ-law), static payload types, 8 kHz mono. */
export function g711Media(law: 'pcma' | 'pcmu'): SdpMedia {
  return law === 'pcma'
    ? { kind: 'audio', payloadType: PCMA_PAYLOAD_TYPE, rtpmap: 'PCMA/8000', clockRate: G711_CLOCK_RATE }
    : { kind: 'audio', payloadType: PCMU_PAYLOAD_TYPE, rtpmap: 'PCMU/8000', clockRate: G711_CLOCK_RATE };
}

/** An Opus track (always `opus/48000/2` in SDP; `stereo` says what the sender sends). */
export function opusMedia(payloadType: number, stereo: boolean): SdpMedia {
  return {
    kind: 'audio',
    payloadType,
    rtpmap: `opus/${OPUS_CLOCK_RATE}/2`,
    fmtp: `sprop-stereo=${stereo ? 1 : 0}`,
    clockRate: OPUS_CLOCK_RATE,
  };
}

export interface SdpSession {
  /** Numeric session id (o=). */
  sessionId: string;
  /** The server's address as the client reached it (o=), IPv4 or IPv6. */
  address: string;
  name: string;
  media: readonly (SdpMedia & { control: string })[];
}

/** The SDP text, CRLF line ends. */
export function buildSdp(session: SdpSession): string {
  const family = session.address.includes(':') ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=- ${session.sessionId} 1 IN ${family} ${session.address}`,
    `s=${session.name.replace(/[\r\n]/g, ' ')}`,
    `c=IN ${family} ${family === 'IP6' ? '::' : '0.0.0.0'}`,
    't=0 0',
    'a=tool:camrelay',
    'a=control:*',
    'a=range:npt=now-',
  ];
  for (const m of session.media) {
    lines.push(`m=${m.kind} 0 RTP/AVP ${m.payloadType}`);
    lines.push(`a=rtpmap:${m.payloadType} ${m.rtpmap}`);
    if (m.fmtp) lines.push(`a=fmtp:${m.payloadType} ${m.fmtp}`);
    if (m.framerate !== undefined && m.framerate > 0 && Number.isFinite(m.framerate))
      lines.push(`a=framerate:${Math.round(m.framerate * 1000) / 1000}`);
    lines.push(`a=control:${m.control}`);
  }
  return lines.join('\r\n') + '\r\n';
}
