/**
 * One RTSP session (RFC 2326 §3): a camera's stream set up for one client over one transport, its video
 * track on the wire, and while it plays, its RtspViewer subscribed to the camera's track and counted
 * against the viewer limits. A session ends with TEARDOWN, its TCP connection, or SESSION_TIMEOUT
 * without a sign of its client (a request naming it, an RTCP packet from it, a unit its TCP connection
 * took).
 */
import { randomBytes } from 'node:crypto';
import type { CameraStream } from '../../hub/camera-stream.js';
import type { Quality } from '../../hub/consumer.js';
import type { Codec } from '../../media/index.js';
import type { StreamViewer } from './access.js';
import type { StreamPath } from './paths.js';
import { RtpTrack } from './rtp-track.js';
import type { InterleavedTransport, UdpPeer, UdpTransport } from './transports.js';
import type { RtspViewer } from './viewer.js';

export type SessionTransport =
  { kind: 'tcp'; transport: InterleavedTransport } | { kind: 'udp'; transport: UdpTransport; peer: UdpPeer };

export class RtspSession {
  readonly id = randomBytes(8).toString('hex');
  readonly video: RtpTrack;
  viewer: RtspViewer | undefined;
  /** While playing: leaves the camera's track, and counts the viewer out. */
  private unsubscribe: (() => void) | undefined;
  private release: (() => void) | undefined;
  /** performance.now() of the client's last sign of life. */
  heardAt = performance.now();
  /** The viewer's sent count at the last sweep, and since when it has not moved while units waited. */
  private sentAtSweep = -1;
  private stuckSince = performance.now();
  closed = false;

  constructor(
    readonly camera: CameraStream,
    readonly path: StreamPath,
    readonly codec: Codec,
    readonly quality: Quality,
    readonly who: StreamViewer,
    readonly transport: SessionTransport,
    video: RtpTrack,
  ) {
    this.video = video;
  }

  get playing(): boolean {
    return this.unsubscribe !== undefined;
  }

  heard(): void {
    this.heardAt = performance.now();
  }

  /** Starts the flow: subscribes (starting an idle camera) and hands the viewer the current GOP at once. */
  play(viewer: RtspViewer, release: () => void): void {
    if (this.playing || this.closed) {
      release();
      return;
    }
    this.viewer = viewer;
    this.release = release;
    viewer.play();
    this.unsubscribe = this.camera.subscribe(viewer, this.codec, this.quality);
    this.camera.catchUp(viewer, this.codec, this.quality);
  }

  pause(): void {
    this.viewer?.pause();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.release?.();
    this.release = undefined;
  }

  /** How long units have waited without one sent (a TCP client that stopped reading); 0 when flowing. */
  stalledFor(now: number): number {
    const viewer = this.viewer;
    if (!viewer || !this.playing || viewer.waiting === 0 || viewer.sent !== this.sentAtSweep) {
      this.sentAtSweep = viewer?.sent ?? -1;
      this.stuckSince = now;
      return 0;
    }
    return now - this.stuckSince;
  }

  /** Sender reports for its tracks. */
  report(): void {
    const packet = this.video.report(`camrelay-${this.id}`);
    if (packet) this.transport.transport.sendRtcp(packet);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pause();
    if (this.transport.kind === 'udp') this.transport.transport.close();
  }
}

/** A new video track for a session: its RTP channel over TCP (RTCP on the next one). */
export function newVideoTrack(channel: number): RtpTrack {
  return new RtpTrack(channel);
}
