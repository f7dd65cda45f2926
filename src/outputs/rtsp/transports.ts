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

/**
 * A unit's stamped copy goes into a buffer of the client's own, reused once its write has been handed to
 * the OS: the sender has one write in flight at a time, so a client allocates nothing per unit.
 */
class Scratch {
  private buffer = Buffer.allocUnsafeSlow(64 * 1024);
  private busy = false;
  private pending: (() => void) | undefined;
  /** One callback for every write, made once. */
  readonly done = (): void => {
    this.busy = false;
    const pending = this.pending;
    this.pending = undefined;
    pending?.();
  };

  /** `size` bytes to fill, and the callback for its write (which frees it). */
  take(size: number, written: (() => void) | undefined): Buffer {
    if (this.busy) return Buffer.allocUnsafe(size); // never with one write in flight; safe if ever
    if (size > this.buffer.length) this.buffer = Buffer.allocUnsafeSlow(Math.ceil(size * 1.5));
    this.busy = true;
    this.pending = written;
    return this.buffer.subarray(0, size);
  }

  /** Whether `bytes` came from take() (its write must call done). */
  owns(bytes: Buffer): boolean {
    return bytes.buffer === this.buffer.buffer;
  }
}

export class InterleavedTransport implements UnitTransport {
  private readonly scratch = new Scratch();

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
    const bytes = this.scratch.take(packets.bytes.length, written);
    bytes.set(packets.bytes);
    this.track.stamp(bytes, packets, unit);
    this.socket.write(bytes, this.scratch.owns(bytes) ? this.scratch.done : written);
    return bytes.length;
  }

  /** An RTCP packet on the track's RTCP channel (small, every few seconds: behind what waits, still true). */
  sendRtcp(packet: Uint8Array): void {
    if (!this.socket.writable) return;
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
  private readonly scratch = new Scratch();

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
    const size = packets.bytes.length;
    const bytes = this.scratch.take(size, written);
    bytes.set(packets.bytes);
    this.track.stamp(bytes, packets, unit);
    this.pending += size;
    const last = packets.count - 1;
    const owned = this.scratch.owns(bytes);
    const done = (): void => {
      this.pending -= size;
      if (owned) this.scratch.done();
      else written?.();
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
