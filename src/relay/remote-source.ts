/**
 * The FrameSource of a camera published by an edge. The hub's CameraStream
 * drives it like any other source, so its on-demand logic drives the uplink:
 * start() asks the edge to send the camera, stop() tells it to stop, and an
 * unwatched camera costs the edge's uplink nothing.
 *
 * The source outlives connections: it is bound to the edge's current
 * connection on announce and unbound when that connection ends, which ends
 * the running source ('edge disconnected') so that viewers see the camera
 * offline until the edge is back.
 */
import { TimestampUnwrapper } from '../codec/mpegts/pes.js';
import {
  VIDEO_CLOCK_RATE,
  type AudioConfig,
  type TrackConfig,
  type SourceSink,
  type SourceUnit,
} from '../media/index.js';
import type { MediaTimes } from '../wire/header.js';
import { jpegConfig } from '../media/jpeg.js';
import { readJpegSize } from '../codec/jpeg.js';
import type { FrameSource } from '../sources/source.js';

/** The edge connection as one camera sees it. */
export interface EdgeLink {
  /** `from` (this hub's clock): the edge's buffered video from then first, when it keeps some. */
  start(from?: number): void;
  stop(): void;
}

/** How long a pre-roll asked for waits for the start it belongs to (an edge reconnecting, a backoff). */
const PRE_ROLL_WAIT_MS = 10_000;

export class RemoteSource implements FrameSource {
  private link: EdgeLink | undefined;
  private sink: SourceSink | undefined;
  /** The edge was told to start and not told to stop since. */
  private startedOnEdge = false;
  /** Why start() cannot work while unbound, for the camera's offline reason. */
  private unboundReason: string;
  /** The newest stamp given to a unit. */
  private lastStamp = 0;
  /** The edge's dts arrive modulo 2^32: unwrapped per connection. */
  private readonly dts = new TimestampUnwrapper(2 ** 32);
  private timesLink: EdgeLink | undefined;
  /** A timed video unit came in this run: audio (timed on the video's clock) may follow. */
  private timedVideo = false;
  /** The next start asks the edge for its buffered video from this time (hub clock), until `until`. */
  private preRoll: { from: number; until: number } | undefined;

  constructor(edge: string) {
    this.unboundReason = `edge "${edge}" is not connected`;
  }

  get bound(): boolean {
    return this.link !== undefined;
  }

  /**
   * The next start (a recording around an event, starting the camera now) asks the edge for its video
   * from `from` (this hub's clock) on: what it kept from before the event, then live. An edge that keeps
   * nothing, or an older one, starts live.
   */
  preRollFrom(from: number, now = Date.now()): void {
    this.preRoll = { from, until: now + PRE_ROLL_WAIT_MS };
  }

  /** The pre-roll asked for, once, if still wanted. */
  private takePreRoll(): number | undefined {
    const p = this.preRoll;
    this.preRoll = undefined;
    return p && Date.now() <= p.until ? p.from : undefined;
  }

  start(sink: SourceSink): void {
    this.sink = sink;
    this.timedVideo = false;
    if (this.link) {
      this.startedOnEdge = true;
      this.link.start(this.takePreRoll());
      return;
    }
    // Not synchronously: the stream is still inside its own startSource().
    const reason = this.unboundReason;
    setImmediate(() => {
      if (this.sink !== sink || this.link) return;
      this.sink = undefined;
      sink.ended(reason);
    });
  }

  async stop(): Promise<void> {
    this.sink = undefined;
    if (this.startedOnEdge) {
      this.startedOnEdge = false;
      this.link?.stop();
    }
  }

  /**
   * A new connection of the edge has announced this camera. A start that came while it was unbound and
   * is still waiting (the camera was wanted the moment it was published: a recording) goes to the edge now.
   */
  bind(link: EdgeLink): void {
    this.link = link;
    this.startedOnEdge = false; // a new connection starts with every camera stopped
    if (this.sink) {
      this.startedOnEdge = true;
      link.start(this.takePreRoll());
    }
  }

  /** The connection is gone (or the camera withdrawn): the running source ends with `reason`. */
  unbind(link: EdgeLink, reason: string): void {
    if (this.link !== link) return; // already bound to a newer connection
    this.link = undefined;
    this.startedOnEdge = false;
    this.unboundReason = reason;
    this.end(reason);
  }

  /**
   * A JPEG from the edge; dropped unless the hub currently wants the camera. `capturedAt`: its capture
   * time on the hub's clock.
   */
  deliver(link: EdgeLink, jpeg: Buffer, capturedAt?: number): void {
    if (this.link !== link || !this.sink) return;
    const size = readJpegSize(jpeg);
    if (size)
      this.sink.unit({
        config: jpegConfig(size.width, size.height),
        keyframe: true,
        data: jpeg,
        ...(capturedAt === undefined ? {} : { capturedAt: this.monotonic(capturedAt) }),
      });
  }

  /**
   * An H.264 access unit (checked by the session) with its configuration; dropped unless wanted. `times`:
   * its media times on the camera's clock, from an edge that sends them (dts unwrapped past 32 bits here).
   */
  deliverH264(
    link: EdgeLink,
    config: TrackConfig,
    keyframe: boolean,
    data: Buffer,
    capturedAt: number,
    times?: MediaTimes,
  ): void {
    if (this.link !== link || !this.sink) return;
    const unit: SourceUnit = { config, keyframe, data, capturedAt: this.monotonic(capturedAt) };
    if (times) {
      if (this.timesLink !== link) {
        this.timesLink = link; // another connection: its edge's clock may have started afresh
        this.dts.reset();
      }
      unit.dts = this.dts.unwrap(times.dts);
      unit.pts = unit.dts + times.compositionOffset;
      this.timedVideo = true;
    }
    this.sink.unit(unit);
  }

  /**
   * An audio unit (checked by the session): `pts90k` its presentation time in 90 kHz ticks modulo 2^32 on
   * the video's clock, unwrapped with the video's times so both stay on one timeline. Dropped unless wanted,
   * and until this run's first timed video unit (the hub places audio by the video's clock).
   */
  deliverAudio(link: EdgeLink, config: AudioConfig, data: Buffer, samples: number, pts90k: number): void {
    if (this.link !== link || !this.sink?.audio || !this.timedVideo || this.timesLink !== link) return;
    const pts = Math.round((this.dts.unwrap(pts90k) * config.sampleRate) / VIDEO_CLOCK_RATE);
    this.sink.audio({ config, data, samples, pts });
  }

  /** Stamps never go backwards (the clock estimate settling, the first pong's arrival). */
  private monotonic(capturedAt: number): number {
    this.lastStamp = Math.max(this.lastStamp, capturedAt);
    return this.lastStamp;
  }

  /** The edge says its camera is offline: the hub's stream goes offline and retries with backoff. */
  edgeOffline(link: EdgeLink, reason: string): void {
    if (this.link === link) this.end(`on the edge: ${reason}`);
  }

  private end(reason: string): void {
    const sink = this.sink;
    this.sink = undefined;
    sink?.ended(reason);
  }
}
