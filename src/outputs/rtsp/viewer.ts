/**
 * One RTSP client's video as a hub consumer: what the hub hands it goes through its PacedSender
 * (src/stream), the third user after the WebSocket viewer and the relay uplink. The queue is `gop`: a
 * client that cannot keep up (its TCP connection backs up, or its UDP pace falls behind) skips to the next
 * keyframe, bounded in units, bytes and age, never a broken picture, never a growing buffer. One write in
 * flight at a time (no acks in RTSP): the next unit goes when the last was handed to the OS.
 */
import type { CameraStatus, Consumer, ViewerStats } from '../../hub/consumer.js';
import type { AccessUnit, Codec } from '../../media/index.js';
import type { Pacer } from '../../stream/pacer.js';
import { PacedSender } from '../../stream/paced-sender.js';
import type { UnitTransport } from '../../stream/transport.js';
import { ViewerTally } from '../viewer-tally.js';

/** Bytes written to the connection and not yet handed to the OS before units wait in the queue. */
export const MAX_RTSP_BUFFERED_BYTES = 1024 * 1024;
/**
 * A unit that waited this long in the queue makes the client skip to the next keyframe: what the kernel
 * holds is bounded too (transports.ts), so the client's delay stays within about half a second.
 */
export const RTSP_QUEUE_AGE_MS = 200;

export interface RtspViewerOptions {
  id: string;
  remoteAddress: string;
  codec: Codec;
  transport: UnitTransport;
  /** UDP: the stream's pace (datagrams have no back-pressure). */
  pacer?: Pacer;
  /** Which transport, for the statistics' `path`: `tcp` or `udp`. */
  path: string;
}

export class RtspViewer implements Consumer {
  private readonly sender: PacedSender;
  private readonly tally: ViewerTally;
  private playing = false;

  constructor(options: RtspViewerOptions) {
    this.tally = new ViewerTally(options.id, 'rtsp', options.remoteAddress);
    this.tally.codec = options.codec;
    this.tally.path = options.path;
    this.sender = new PacedSender({
      transport: options.transport,
      queue: { policy: 'gop', maxAgeMs: RTSP_QUEUE_AGE_MS },
      window: 1,
      maxWindow: 1,
      acks: false,
      maxBufferedBytes: MAX_RTSP_BUFFERED_BYTES,
      sendsConfig: false,
      ...(options.pacer ? { pacer: options.pacer } : {}),
      onSent: (bytes) => this.tally.sent(bytes),
    });
  }

  get id(): string {
    return this.tally.id;
  }

  /** Units flow (PLAY). */
  play(): void {
    this.playing = true;
  }

  /** Nothing flows (PAUSE, TEARDOWN); what waits is dropped, the next unit after play() is a keyframe. */
  pause(): void {
    this.playing = false;
    this.sender.dropWaiting();
  }

  /** Units sent so far (a stalled connection sends none while units wait). */
  get sent(): number {
    return this.tally.framesSent;
  }

  /** Units waiting to be sent. */
  get waiting(): number {
    return this.sender.queue.size;
  }

  /** Units the hub handed it while playing (a stalled client is offered units and sends none). */
  offered = 0;

  onUnit(unit: AccessUnit): void {
    if (!this.playing) return;
    this.offered++;
    this.sender.push(unit, performance.now());
  }

  onStatus(status: CameraStatus): void {
    // What waits was made before the outage; the camera comes back at a keyframe.
    if (!status.online) this.sender.queue.clear();
  }

  stats(): ViewerStats {
    const queue = this.sender.queue;
    this.tally.framesDropped = queue.dropped;
    this.tally.framesSkipped = queue.dropped;
    this.tally.keyframeSkips = queue.keyframeSkips;
    return this.tally.stats();
  }
}
