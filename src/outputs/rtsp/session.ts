/**
 * One RTSP session (RFC 2326 §3): a camera's stream set up for one client over one transport, its video
 * track and (when the camera has audio) its audio track on the wire; while it plays, its RtspViewer is
 * subscribed to the camera's video track and counted against the viewer limits, its AudioSender to the
 * camera's audio. A session ends with TEARDOWN, its connection, or the session timeout without a sign of
 * its client (a request naming it, an RTCP packet from it).
 */
import { randomBytes } from 'node:crypto';
import type { CameraStream } from '../../hub/camera-stream.js';
import type { Quality } from '../../hub/consumer.js';
import type { Codec } from '../../media/index.js';
import type { StreamViewer } from './access.js';
import type { AudioSender } from './audio.js';
import type { StreamPath } from './paths.js';
import type { RtpTrack } from './rtp-track.js';
import type { InterleavedTransport, UdpPeer, UdpTransport } from './transports.js';
import type { RtspViewer } from './viewer.js';

export type VideoWire =
  | { kind: 'tcp'; track: RtpTrack; transport: InterleavedTransport }
  | { kind: 'udp'; track: RtpTrack; transport: UdpTransport; peer: UdpPeer };

export interface AudioWire {
  sender: AudioSender;
  /** UDP: the client's ports for it. */
  peer?: UdpPeer;
}

export class RtspSession {
  readonly id = randomBytes(8).toString('hex');
  video: VideoWire | undefined;
  audio: AudioWire | undefined;
  viewer: RtspViewer | undefined;
  /** While playing: leave the camera's tracks, and count the viewer out. */
  private unsubscribe: (() => void) | undefined;
  private unsubscribeAudio: (() => void) | undefined;
  private release: (() => void) | undefined;
  private flowing = false;
  /** performance.now() of the client's last sign of life. */
  heardAt = performance.now();
  /** The viewer's sent and offered counts at the last sweep, and since when none went while units were offered. */
  private sentAtSweep = -1;
  private offeredAtStuck = 0;
  private stuckSince = performance.now();
  closed = false;

  constructor(
    readonly camera: CameraStream,
    readonly path: StreamPath,
    readonly codec: Codec,
    readonly quality: Quality,
    readonly who: StreamViewer,
    readonly kind: 'tcp' | 'udp',
  ) {}

  get playing(): boolean {
    return this.flowing;
  }

  /** Interleaved channels in use (each track's RTP and RTCP). */
  usesChannel(channel: number): boolean {
    const channels: number[] = [];
    if (this.video?.kind === 'tcp') channels.push(this.video.track.channel);
    if (this.audio && this.kind === 'tcp') channels.push(this.audio.sender.track.channel);
    return channels.some((c) => channel === c || channel === c + 1);
  }

  heard(): void {
    this.heardAt = performance.now();
  }

  /**
   * Starts the flow: subscribes the viewer (starting an idle camera) and hands it the current GOP at once;
   * the audio from its next unit.
   */
  play(viewer: RtspViewer | undefined, release: () => void): void {
    if (this.flowing || this.closed) {
      release();
      return;
    }
    this.flowing = true;
    this.release = release;
    if (this.audio) {
      this.audio.sender.playing = true;
      this.unsubscribeAudio = this.camera.subscribeAudio(this.audio.sender);
    }
    if (viewer) {
      this.viewer = viewer;
      viewer.play();
      this.unsubscribe = this.camera.subscribe(viewer, this.codec, this.quality);
      this.camera.catchUp(viewer, this.codec, this.quality);
    }
  }

  pause(): void {
    this.flowing = false;
    this.viewer?.pause();
    if (this.audio) this.audio.sender.playing = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.unsubscribeAudio?.();
    this.unsubscribeAudio = undefined;
    this.release?.();
    this.release = undefined;
  }

  /**
   * How long the camera has offered units and none was sent (a TCP client that stopped reading: its queue
   * skips, and may be empty between keyframes); 0 while units go, or while the camera gives none.
   */
  stalledFor(now: number): number {
    const viewer = this.viewer;
    if (!viewer || !this.flowing || viewer.sent !== this.sentAtSweep) {
      this.sentAtSweep = viewer?.sent ?? -1;
      this.offeredAtStuck = viewer?.offered ?? 0;
      this.stuckSince = now;
      return 0;
    }
    // A camera that gave nothing since the last sweep is not the client's fault.
    const offered = viewer.offered !== this.offeredAtStuck;
    this.offeredAtStuck = viewer.offered;
    if (!offered) this.stuckSince = now;
    return now - this.stuckSince;
  }

  /** Sender reports for its tracks. */
  report(): void {
    const cname = `camrelay-${this.id}`;
    const video = this.video?.track.report(cname);
    if (video) this.video!.transport.sendRtcp(video);
    const audio = this.audio?.sender.track.report(cname);
    if (audio) this.audio!.sender.sendRtcp(audio);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pause();
    if (this.video?.kind === 'udp') this.video.transport.close();
  }
}
