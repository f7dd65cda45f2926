/**
 * One track of one RTSP session on the wire: its SSRC, sequence numbers and RTP time offset (random, RFC
 * 3550 §5.1), the counts and the newest RTP ↔ wall time pair an RTCP sender report carries.
 */
import { randomBytes } from 'node:crypto';
import { senderReport, type RtpPackets } from '../../codec/rtp/index.js';
import type { AccessUnit } from '../../media/index.js';
import { videoTicks, wallTimeOf } from './media-time.js';

export class RtpTrack {
  readonly ssrc: number;
  /** The next packet's sequence number. */
  sequence: number;
  private readonly offset: number;
  packets = 0;
  octets = 0;
  /** The newest unit sent: its RTP time and wall time (ms), for the sender report. */
  private lastRtp: number | undefined;
  private lastWall = 0;

  constructor(readonly channel: number) {
    const random = randomBytes(10);
    this.ssrc = random.readUInt32BE(0);
    this.sequence = random.readUInt16BE(4);
    this.offset = random.readUInt32BE(6);
  }

  /** The sequence number the first packet will carry (RTP-Info). */
  get firstSequence(): number {
    return this.sequence;
  }

  rtpTime(pts: number): number {
    return (pts + this.offset) >>> 0;
  }

  /** Writes a video unit's packets with this track's fields into `into`, a copy of `packets.bytes`. */
  stamp(into: Uint8Array, packets: RtpPackets, unit: AccessUnit): void {
    this.stampAt(into, packets, videoTicks(unit), wallTimeOf(unit));
  }

  /** The same for any unit: its pts (the track's clock) and the wall time of that pts. */
  stampAt(into: Uint8Array, packets: RtpPackets, pts: number, wallTime: number): void {
    const timestamp = this.rtpTime(pts);
    this.sequence = packets.stamp(into, { channel: this.channel, sequence: this.sequence, timestamp, ssrc: this.ssrc });
    this.packets += packets.count;
    this.octets += packets.payloadBytes;
    this.lastRtp = timestamp;
    this.lastWall = wallTime;
  }

  /** SR + SDES, or undefined before the first packet. */
  report(cname: string): Uint8Array | undefined {
    if (this.lastRtp === undefined) return undefined;
    return senderReport({
      ssrc: this.ssrc,
      wallTimeMs: this.lastWall,
      rtpTimestamp: this.lastRtp,
      packets: this.packets,
      octets: this.octets,
      cname,
    });
  }
}
