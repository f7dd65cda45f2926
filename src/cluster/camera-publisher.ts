/**
 * The owner's side of a camera other hubs watch: while at least one hub wants it, one consumer of the
 * camera's own track publishes every access unit once on the camera's subject, whatever the number of hubs
 * and viewers. Each hub's want is a lease renewed every heartbeat; when the last one lapses (or is
 * withdrawn), the consumer goes and the camera's traffic on the bus stops.
 *
 * Publishing never waits: the NATS client queues what it writes, and the server, not this hub, deals with
 * a subscriber that cannot keep up (it drops that connection; the hub behind it skips to a keyframe).
 */
import type { Logger } from 'pino';
import type { NatsConnection } from '@nats-io/transport-node';
import type { CameraStream } from '../hub/camera-stream.js';
import type { Consumer } from '../hub/consumer.js';
import type { AccessUnit, Codec } from '../media/index.js';
import { encodeBusUnit } from './bus-frame.js';
import type { BusPressure } from './bus-pressure.js';
import { subjects } from './subjects.js';

/** A hub's want lapses after this many heartbeats without a renewal. */
const LEASE_BEATS = 3.5;

export class CameraPublisher {
  /** Hub name → when its want lapses. */
  private readonly leases = new Map<string, number>();
  private unsubscribe: (() => void) | undefined;
  private codec: Codec | undefined;
  private starting: Promise<void> | undefined;
  bytes = 0;
  units = 0;
  /** Units that could not go on the bus (not connected, too big, this hub's link to NATS behind). */
  dropped = 0;
  /** Groups of pictures sent to hubs that joined (each about a second of the camera). */
  catchUps = 0;
  /** Units are held back until the next keyframe (after the link fell behind). */
  private waitingForKeyframe = false;

  constructor(
    readonly stream: CameraStream,
    private readonly connection: () => NatsConnection | undefined,
    private readonly heartbeatMs: number,
    private readonly log: Logger,
    private readonly pressure?: BusPressure,
  ) {}

  get id(): string {
    return this.stream.id;
  }

  /** The hubs that want the camera now. */
  hubs(): string[] {
    return [...this.leases.keys()];
  }

  get active(): boolean {
    return this.unsubscribe !== undefined;
  }

  /**
   * `hub` wants the camera (again). With `catchUp`, the current group of pictures goes to that hub's
   * catch-up subject first; resolves once it has been written (then the owner answers the request).
   */
  async want(hub: string, catchUp: boolean): Promise<void> {
    this.leases.set(hub, Date.now() + this.heartbeatMs * LEASE_BEATS);
    if (!this.unsubscribe) {
      this.starting ??= this.subscribe().finally(() => (this.starting = undefined));
      await this.starting;
    }
    if (catchUp && this.codec && this.unsubscribe) {
      const nc = this.connection();
      const subject = subjects.catchUp(hub, this.stream.id);
      const codec = this.codec;
      const sendTo: Consumer = { onUnit: (unit) => nc && this.publishUnit(nc, subject, unit, false) };
      this.catchUps++;
      this.stream.catchUp(sendTo, codec);
    }
  }

  /** `hub` no longer wants the camera. */
  unwant(hub: string): void {
    this.leases.delete(hub);
    if (this.leases.size === 0) this.stop();
  }

  /** Drops lapsed leases; the consumer goes with the last. */
  sweep(now = Date.now()): void {
    for (const [hub, until] of this.leases) if (until < now) this.leases.delete(hub);
    if (this.leases.size === 0) this.stop();
  }

  stop(): void {
    this.leases.clear();
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    if (unsubscribe) {
      unsubscribe();
      this.log.info({ camera: this.stream.id }, 'cluster: no hub wants the camera any more; off the bus');
    }
  }

  private async subscribe(): Promise<void> {
    const codec = this.stream.native ?? (await this.stream.knownNative());
    if (!codec) throw new Error('the camera has not sent a picture yet');
    if (this.leases.size === 0 || this.unsubscribe) return;
    this.codec = codec;
    const subject = subjects.media(this.stream.id);
    const consumer: Consumer = {
      onUnit: (unit) => {
        const nc = this.connection();
        // Behind on this hub's own link: nothing more is queued; the hubs pulling it resume at a keyframe.
        if (this.pressure?.congested) this.waitingForKeyframe = true;
        else if (this.waitingForKeyframe && unit.keyframe) this.waitingForKeyframe = false;
        if (nc && !this.waitingForKeyframe) this.publishUnit(nc, subject, unit, true);
        else this.dropped++;
      },
    };
    this.unsubscribe = this.stream.subscribe(consumer, codec);
    this.log.info({ camera: this.stream.id, codec, hubs: this.hubs() }, 'cluster: publishing the camera on the bus');
  }

  private publishUnit(nc: NatsConnection, subject: string, unit: AccessUnit, count: boolean): void {
    if (unit.placeholder) return;
    let chunks: Buffer[];
    try {
      chunks = encodeBusUnit(
        {
          seq: unit.seq,
          keyframe: unit.keyframe,
          capturedAt: unit.capturedAt,
          config: unit.config,
          data: unit.data,
          pts: unit.pts,
          dts: unit.dts,
          wallTime: unit.wallTime,
        },
        nc.info?.max_payload ?? 1024 * 1024,
      );
    } catch {
      this.dropped++;
      return;
    }
    for (const chunk of chunks) {
      nc.publish(subject, chunk);
      if (count) this.bytes += chunk.length;
    }
    if (count) this.units++;
  }
}
