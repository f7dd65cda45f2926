/**
 * The FrameSource of a camera another hub owns. The stream's own on-demand logic drives it like any
 * source: start() tells the owner this hub wants the camera (a request, answered with the current group of
 * pictures on this hub's catch-up subject, so a viewer here sees a picture at once) and repeats the want
 * every heartbeat; stop() says it is no longer wanted. Units come from the camera's one subject on the bus,
 * shared by every hub that pulls it.
 *
 * Flow control: the owner never waits for this hub. A hub that falls behind loses messages (NATS drops a
 * slow consumer's connection); lost units show as a gap in the sequence numbers, and this hub skips to the
 * next keyframe, which carries the decoder configuration. Bytes from the bus are checked before anything
 * decodes them (bus-frame.ts, unit-check.ts).
 */
import type { Logger } from 'pino';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { SourceSink, TrackConfig } from '../media/index.js';
import type { FrameSource } from '../sources/source.js';
import { BusReassembler, decodeBusChunk, type BusUnit } from './bus-frame.js';
import type { Placement } from './catalogue.js';
import { subjects, type WantRequest } from './subjects.js';
import { checkBusUnit, trackConfigOf } from './unit-check.js';

export interface PullContext {
  readonly self: string;
  readonly heartbeatMs: number;
  connection(): NatsConnection | undefined;
  place(camera: string): Placement | undefined;
}

/** What this hub took of a camera from the bus. */
export class PullTally {
  bytes = 0;
  units = 0;
  /** Times units were lost (a gap in the sequence, a chunk missing) and the pull waited for a keyframe. */
  gaps = 0;
  /** Units dropped as malformed. */
  rejected = 0;
}

/** The owner may have to start an idle camera to learn its codec before it answers. */
const WANT_TIMEOUT_MS = 10_000;

export class PullSource implements FrameSource {
  private sink: SourceSink | undefined;
  private subs: Subscription[] = [];
  private timer: NodeJS.Timeout | undefined;
  private owner: string | undefined;
  private ownerRun = 0;
  private lastSeq = 0;
  private synced = false;
  private config: TrackConfig | undefined;
  private readonly live = new BusReassembler();
  private readonly catchUp = new BusReassembler();
  private rejectLogged = 0;
  readonly tally = new PullTally();

  constructor(
    readonly camera: string,
    private readonly context: PullContext,
    private readonly log: Logger,
  ) {}

  /** The hub the camera is pulled from now. */
  get from(): string | undefined {
    return this.sink ? this.owner : undefined;
  }

  start(sink: SourceSink): void {
    this.sink = sink;
    const place = this.context.place(this.camera);
    const nc = this.context.connection();
    const why = !nc
      ? 'the cluster bus is not connected'
      : !place
        ? 'no hub of the cluster has it'
        : !place.reachable
          ? `its hub "${place.owner}" is unreachable`
          : undefined;
    if (why || !nc || !place) {
      setImmediate(() => this.end(sink, why ?? 'unavailable'));
      return;
    }
    this.owner = place.owner;
    this.ownerRun = place.ownerStartedAt;
    this.lastSeq = 0;
    this.synced = false;
    const onChunk = (assembler: BusReassembler) => (err: Error | null, msg: { data: Uint8Array }) => {
      if (!err) this.chunk(assembler, msg.data);
    };
    this.subs = [
      nc.subscribe(subjects.media(this.camera), { callback: onChunk(this.live) }),
      nc.subscribe(subjects.catchUp(this.context.self, this.camera), { callback: onChunk(this.catchUp) }),
    ];
    const want = (catchUp: boolean): WantRequest => ({ camera: this.camera, hub: this.context.self, catchUp });
    // Subscribed first: the catch-up the owner sends before it answers is not missed.
    void nc
      .flush()
      .then(() => nc.request(subjects.want(place.owner), JSON.stringify(want(true)), { timeout: WANT_TIMEOUT_MS }))
      .then((reply) => {
        const answer = reply.json<{ ok?: boolean; error?: string }>();
        if (!answer.ok) this.end(sink, `hub "${place.owner}" refused: ${String(answer.error).slice(0, 200)}`);
      })
      .catch((err: unknown) => this.end(sink, `hub "${place.owner}" did not answer (${(err as Error).message})`));
    this.timer = setInterval(() => {
      this.context.connection()?.publish(subjects.want(place.owner), JSON.stringify(want(false)));
    }, this.context.heartbeatMs);
  }

  async stop(): Promise<void> {
    const owner = this.owner;
    const wasRunning = this.sink !== undefined;
    this.sink = undefined;
    this.teardown();
    if (wasRunning && owner) {
      const stop: WantRequest = { camera: this.camera, hub: this.context.self, stop: true };
      this.context.connection()?.publish(subjects.want(owner), JSON.stringify(stop));
    }
  }

  /**
   * The catalogue changed: a pull from a hub that no longer has the camera, or that restarted, ends (the
   * stream restarts it from the hub that has it now).
   */
  recheck(): void {
    if (!this.sink) return;
    const place = this.context.place(this.camera);
    if (!place) return this.end(this.sink, 'no hub of the cluster lists it any more');
    if (!place.reachable) return this.end(this.sink, `its hub "${place.owner}" is unreachable`);
    if (place.owner !== this.owner) return this.end(this.sink, `moved to hub "${place.owner}"`);
    if (place.ownerStartedAt !== this.ownerRun) return this.end(this.sink, `hub "${place.owner}" restarted`);
  }

  /** The bus went away: the pull ends, and restarts (with the stream's backoff) once it is back. */
  busLost(): void {
    if (this.sink) this.end(this.sink, 'the cluster bus disconnected');
  }

  private teardown(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const sub of this.subs) sub.unsubscribe();
    this.subs = [];
  }

  private end(sink: SourceSink, reason: string): void {
    if (this.sink !== sink) return;
    this.sink = undefined;
    this.teardown();
    sink.ended(reason);
  }

  private chunk(assembler: BusReassembler, bytes: Uint8Array): void {
    if (!this.sink) return;
    const decoded = decodeBusChunk(bytes);
    if (!decoded.ok) return this.reject(decoded.reason);
    const lostBefore = assembler.lost;
    const unit = assembler.push(decoded.message);
    if (assembler.lost !== lostBefore && this.synced) this.gap();
    if (unit) this.unit(unit);
  }

  private unit(unit: BusUnit): void {
    const sink = this.sink;
    if (!sink) return;
    if (unit.seq <= this.lastSeq) return; // the catch-up and the live subject overlap
    if (!unit.keyframe && (!this.synced || unit.seq !== this.lastSeq + 1)) {
      if (this.synced) this.gap();
      return;
    }
    if (unit.keyframe) {
      const config = trackConfigOf(unit, this.config);
      if (!config.ok) return this.reject(config.reason);
      this.config = config.message;
    }
    const config = this.config;
    if (!config || config.codec !== unit.codec) return this.reject('unit of another codec than its configuration');
    const bad = checkBusUnit(unit, config);
    if (bad) return this.reject(bad);
    this.synced = true;
    this.lastSeq = unit.seq;
    this.tally.units++;
    this.tally.bytes += unit.data.length;
    // The owner's capture time, never in this hub's future (its clock may be ahead); the owner's media
    // times as they are (this hub's track clock maps them to its own wall clock).
    const known = (t: number) => Number.isSafeInteger(t) && t >= 0;
    sink.unit({
      config,
      keyframe: unit.keyframe,
      data: unit.data,
      capturedAt: Math.min(unit.capturedAt, Date.now()),
      ...(known(unit.pts) ? { pts: unit.pts } : {}),
      ...(known(unit.dts) && known(unit.pts) && unit.dts !== unit.pts ? { dts: unit.dts } : {}),
    });
  }

  private gap(): void {
    this.synced = false;
    this.tally.gaps++;
  }

  private reject(reason: string): void {
    this.tally.rejected++;
    this.synced = false;
    const now = Date.now();
    if (now - this.rejectLogged > 60_000) {
      this.rejectLogged = now;
      this.log.warn(
        { camera: this.camera, from: this.owner, reason },
        'cluster: dropped a malformed unit from the bus',
      );
    }
  }
}
