/**
 * An RTSP client's video as a PacedSender's transport (src/stream): the unit's shared packets copied once
 * and stamped with the client's track fields, then either written to the RTSP connection as interleaved
 * frames (one write per unit) or sent as UDP datagrams to the client's RTP port. `sendConfig` does
 * nothing: the SDP said it, and keyframes carry their parameter sets (rtp-units.ts).
 */
import type { Socket as UdpSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import type { AccessUnit } from '../../media/index.js';
import type { UnitTransport } from '../../stream/transport.js';
import { INTERLEAVED_PREFIX_BYTES } from '../../codec/rtp/index.js';
import type { RtpTrack } from './rtp-track.js';
import { videoPackets } from './rtp-units.js';

export class InterleavedTransport implements UnitTransport {
  constructor(
    private readonly socket: Socket,
    private readonly track: RtpTrack,
  ) {}

  get writable(): boolean {
    return this.socket.writable;
  }

  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  sendConfig(): void {}

  sendUnit(unit: AccessUnit, _seq: number, written: (() => void) | undefined): number {
    const packets = videoPackets(unit);
    if (!packets) {
      if (written) queueMicrotask(written);
      return 0;
    }
    const bytes = Buffer.allocUnsafe(packets.bytes.length);
    bytes.set(packets.bytes);
    this.track.stamp(bytes, packets, unit);
    this.socket.write(bytes, written);
    return bytes.length;
  }

  /** An RTCP packet on the track's RTCP channel, unless the connection is backed up. */
  sendRtcp(packet: Uint8Array): void {
    if (!this.socket.writable || this.socket.writableLength > 0) return;
    const frame = Buffer.allocUnsafe(INTERLEAVED_PREFIX_BYTES + packet.length);
    frame[0] = 0x24;
    frame[1] = this.track.channel + 1;
    frame.writeUInt16BE(packet.length, 2);
    frame.set(packet, INTERLEAVED_PREFIX_BYTES);
    this.socket.write(frame);
  }
}

export interface UdpPeer {
  address: string;
  rtpPort: number;
  rtcpPort: number;
}

export class UdpTransport implements UnitTransport {
  private pending = 0;
  private closed = false;

  constructor(
    private readonly rtp: UdpSocket,
    private readonly rtcp: UdpSocket,
    private readonly peer: UdpPeer,
    private readonly track: RtpTrack,
  ) {}

  get writable(): boolean {
    return !this.closed;
  }

  get bufferedBytes(): number {
    return this.pending;
  }

  close(): void {
    this.closed = true;
  }

  sendConfig(): void {}

  sendUnit(unit: AccessUnit, _seq: number, written: (() => void) | undefined): number {
    const packets = videoPackets(unit);
    if (!packets || packets.count === 0) {
      if (written) queueMicrotask(written);
      return 0;
    }
    const bytes = Buffer.allocUnsafe(packets.bytes.length);
    bytes.set(packets.bytes);
    this.track.stamp(bytes, packets, unit);
    const size = bytes.length;
    this.pending += size;
    const last = packets.count - 1;
    const done = (): void => {
      this.pending -= size;
      written?.();
    };
    for (let i = 0; i <= last; i++) {
      const start = packets.starts[i]! + INTERLEAVED_PREFIX_BYTES;
      // Errors (an unreachable port) are the client's: the callback still comes, nothing throws.
      this.rtp.send(
        bytes,
        start,
        packets.length(i),
        this.peer.rtpPort,
        this.peer.address,
        i === last ? done : undefined,
      );
    }
    return size - packets.count * INTERLEAVED_PREFIX_BYTES;
  }

  sendRtcp(packet: Uint8Array): void {
    if (this.closed) return;
    this.rtcp.send(packet, this.peer.rtcpPort, this.peer.address);
  }
}
