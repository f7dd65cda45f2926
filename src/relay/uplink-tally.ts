/**
 * What one published camera's uplink carried, on the hub: bytes and frames
 * per codec (over every connection, for /metrics), the codec of the newest
 * frame, and the bitrate over the last whole second (for /api/publishers).
 */
import { type RelayCodec } from './protocol.js';

export class UplinkTally {
  readonly bytes: Record<RelayCodec, number> = { jpeg: 0, h264: 0 };
  readonly frames: Record<RelayCodec, number> = { jpeg: 0, h264: 0 };
  /** The codec of the newest frame; undefined before the first. */
  codec: RelayCodec | undefined;
  private secondStart = 0;
  private secondBytes = 0;
  private lastSecondBytes = 0;

  /** A frame message of `bytes` (header included) arrived at `now` (ms). */
  count(codec: RelayCodec, bytes: number, now: number): void {
    this.codec = codec;
    this.bytes[codec] += bytes;
    this.frames[codec]++;
    if (now - this.secondStart >= 1000) {
      this.lastSecondBytes = now - this.secondStart >= 2000 ? 0 : this.secondBytes;
      this.secondStart = now;
      this.secondBytes = 0;
    }
    this.secondBytes += bytes;
  }

  /** Bits per second over the last whole second (0 when nothing came for 2 s). */
  bitrate(now: number): number {
    return now - this.secondStart >= 2000 ? 0 : this.lastSecondBytes * 8;
  }
}
