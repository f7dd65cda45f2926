/**
 * A session's audio track: the camera's audio units (AAC, G.711, Opus) as RTP (src/codec/rtp), on the
 * connection (interleaved) or over UDP. Audio is small and its units are independent: no queue; a unit
 * that finds the connection backed up (the video waits) is dropped, never buffered.
 */
import type { Socket as UdpSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import {
  aacMedia,
  aacPayloads,
  audioSpecificConfig,
  g711Media,
  g711Payloads,
  INTERLEAVED_PREFIX_BYTES,
  opusMedia,
  opusPayloads,
  RtpPackets,
  type SdpMedia,
} from '../../codec/rtp/index.js';
import type { AudioConfig, AudioConsumer, AudioUnit } from '../../media/index.js';
import type { RtpTrack } from './rtp-track.js';
import { MAX_RTP_PAYLOAD } from './rtp-units.js';
import type { UdpPeer } from './transports.js';

const AAC_PAYLOAD_TYPE = 97;
const OPUS_PAYLOAD_TYPE = 98;
/** Over TCP: past this much waiting in user space, audio units are dropped. */
const MAX_AUDIO_BACKLOG = 256 * 1024;

/** The SDP media section of an audio track; undefined for a configuration RTP cannot carry here. */
export function audioMedia(config: AudioConfig): SdpMedia | undefined {
  switch (config.codec) {
    case 'aac':
      return aacMedia(
        AAC_PAYLOAD_TYPE,
        config.sampleRate,
        config.channels,
        config.description ?? audioSpecificConfig(config.sampleRate, config.channels),
      );
    case 'pcma':
    case 'pcmu':
      return config.sampleRate === 8000 && config.channels === 1 ? g711Media(config.codec) : undefined;
    case 'opus':
      return opusMedia(OPUS_PAYLOAD_TYPE, config.channels === 2);
  }
}

const packetsOf = new WeakMap<AudioUnit, RtpPackets | null>();

function audioPackets(unit: AudioUnit): RtpPackets | undefined {
  const cached = packetsOf.get(unit);
  if (cached !== undefined) return cached ?? undefined;
  let packets: RtpPackets | null;
  try {
    const { codec } = unit.config;
    if (codec === 'aac') packets = new RtpPackets(aacPayloads([unit.data], MAX_RTP_PAYLOAD), AAC_PAYLOAD_TYPE);
    else if (codec === 'opus') packets = new RtpPackets(opusPayloads([unit.data], unit.samples), OPUS_PAYLOAD_TYPE);
    else packets = new RtpPackets(g711Payloads(unit.data, MAX_RTP_PAYLOAD), codec === 'pcma' ? 8 : 0);
  } catch {
    packets = null; // an AAC frame over 8191 bytes: not sendable in AAC-hbr
  }
  packetsOf.set(unit, packets);
  return packets ?? undefined;
}

export type AudioOut =
  { kind: 'tcp'; socket: Socket } | { kind: 'udp'; rtp: UdpSocket; rtcp: UdpSocket; peer: UdpPeer };

export class AudioSender implements AudioConsumer {
  playing = false;
  sent = 0;

  constructor(
    private readonly config: AudioConfig,
    readonly track: RtpTrack,
    private readonly out: AudioOut,
  ) {}

  onAudio(unit: AudioUnit): void {
    if (!this.playing || unit.config.codec !== this.config.codec || unit.config.sampleRate !== this.config.sampleRate)
      return;
    const packets = audioPackets(unit);
    if (!packets) return;
    const out = this.out;
    if (out.kind === 'tcp' && (!out.socket.writable || out.socket.writableLength > MAX_AUDIO_BACKLOG)) return;
    // Opus is timed at 48 kHz in RTP whatever the track's clock.
    const scale = this.config.codec === 'opus' ? 48000 / this.config.sampleRate : 1;
    const bytes = Buffer.from(packets.bytes);
    this.track.stampAt(bytes, packets, Math.round(unit.pts * scale), unit.wallTime);
    this.sent++;
    if (out.kind === 'tcp') {
      out.socket.write(bytes);
      return;
    }
    for (let i = 0; i < packets.count; i++) {
      const start = packets.starts[i]! + INTERLEAVED_PREFIX_BYTES;
      out.rtp.send(bytes, start, packets.length(i), out.peer.rtpPort, out.peer.address);
    }
  }

  sendRtcp(packet: Uint8Array): void {
    const out = this.out;
    if (out.kind === 'udp') {
      out.rtcp.send(packet, out.peer.rtcpPort, out.peer.address);
      return;
    }
    if (!out.socket.writable) return;
    const frame = Buffer.allocUnsafe(INTERLEAVED_PREFIX_BYTES + packet.length);
    frame[0] = 0x24;
    frame[1] = this.track.channel + 1;
    frame.writeUInt16BE(packet.length, 2);
    frame.set(packet, INTERLEAVED_PREFIX_BYTES);
    out.socket.write(frame);
  }
}
