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
import type { KernelQueues, KernelWatcher } from './kernel-queue.js';
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

/** What the kernel may hold for a client: this long at its measured delivery rate, and at least MIN_KERNEL_BYTES. */
const KERNEL_HOLD_S = 0.1;
const MIN_KERNEL_BYTES = 16 * 1024;
/** Written since a read that found the kernel nearly empty, before the client is held back until the next. */
const CALM_BURST_BYTES = 1024 * 1024;
/** Past the allowance: reported as buffered past any cap, so the sender holds back. */
const HELD = Number.MAX_SAFE_INTEGER;

export class InterleavedTransport implements UnitTransport, KernelWatcher {
  private readonly scratch = new Scratch();
  /** Bytes handed to the socket so far. */
  private written = 0;
  /** At the last read of the kernel's tables: when, what it held, what had been written. */
  private readAt = 0;
  private unackedAtRead = 0;
  private writtenAtRead = 0;
  private known = false;
  /** Delivery rate (bytes/s acknowledged by the peer), from successive reads. */
  private rate = 0;
  private readonly unwatch: () => void;
  readonly localPort: number;
  readonly remotePort: number;

  constructor(
    private readonly socket: Socket,
    private readonly track: RtpTrack,
    kernel?: KernelQueues,
  ) {
    this.localPort = socket.localPort ?? 0;
    this.remotePort = socket.remotePort ?? 0;
    this.unwatch = kernel?.watch(this) ?? ((): void => undefined);
    socket.once('close', this.unwatch);
  }

  get writable(): boolean {
    return this.socket.writable;
  }

  get busy(): boolean {
    return this.known && this.unackedAtRead > this.allowance() / 4;
  }

  kernelRead(unacked: number | undefined, now: number): void {
    if (unacked === undefined) {
      this.known = false;
      return;
    }
    const acked = this.written - unacked;
    if (this.known && now > this.readAt) {
      const rate = ((acked - (this.writtenAtRead - this.unackedAtRead)) * 1000) / (now - this.readAt);
      // A window that was not backed up says only that the link is at least this fast.
      this.rate =
        this.unackedAtRead > 0 && unacked > 0
          ? this.rate === 0
            ? rate
            : this.rate * 0.6 + rate * 0.4
          : Math.max(this.rate, rate);
    }
    this.known = true;
    this.readAt = now;
    this.unackedAtRead = unacked;
    this.writtenAtRead = this.written;
  }

  /**
   * What waits in user space, or, once that is empty, whether the kernel holds (by the last read and what
   * went and drained since) more than the client's allowance: then HELD, the sender keeps the units, and
   * its queue skips to a keyframe if they age.
   */
  get bufferedBytes(): number {
    const user = this.socket.writableLength;
    if (user > 0 || !this.known) return user;
    // The kernel held little at the last read: the link keeps up (a rate measured then is the stream's, not
    // the link's), and until the next read shows otherwise only a burst far beyond a picture is held back.
    if (!this.busy) return this.written - this.writtenAtRead > CALM_BURST_BYTES ? HELD : 0;
    const drained = (this.rate * (performance.now() - this.readAt)) / 1000;
    const held = this.unackedAtRead + (this.written - this.writtenAtRead) - drained;
    return held > this.allowance() ? HELD : 0;
  }

  private allowance(): number {
    return Math.max(MIN_KERNEL_BYTES, this.rate * KERNEL_HOLD_S);
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
    this.written += bytes.length;
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
    this.written += frame.length;
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
