/**
 * One announced camera as an edge's connection carries it (publisher-session.ts): the published camera's
 * EdgeLink (start and stop become `start`/`stop` messages), its channel in the binary frames, its frame-rate
 * limit, and whether its H.264 configuration came.
 */
import { TokenBucket } from '../wire/token-bucket.js';
import { ConfigChanges } from './picture-limits.js';
import {
  MAX_AUDIO_UNITS_PER_SECOND,
  MAX_BUFFER_LEAD_MS,
  MAX_BUFFERED_BYTES,
  SNAPSHOTS_PER_SECOND,
} from './protocol.js';
import { type HubMessage } from './messages.js';
import type { PublishedCamera } from './published-cameras.js';
import type { EdgeLink } from './remote-source.js';

/** What a link needs of its connection. */
export interface LinkSession {
  send(message: HubMessage): void;
  /** A camera was started: the connection's clock pings run. */
  demanded(): void;
  /** The edge keeps a pre-roll for this hub (the `pre-roll` event feature): a start may say `from`. */
  readonly preRoll: boolean;
  /** This hub's time on the edge's clock (as its pings measured it; as it is before any). */
  toEdge(hubTime: number): number;
}

/** A start with `from`: what the edge may send of its buffer before its live video. */
export interface Replay {
  /** `from` on the edge's clock (as sent) and on this hub's. */
  fromEdge: number;
  fromHub: number;
  /** Buffered bytes taken so far. */
  bytes: number;
  /** A live frame came: the buffer is over. */
  live: boolean;
}

export class CameraLink implements EdgeLink {
  /** Frames allowed on it: `rate` a second, a second's worth at once. */
  bucket: TokenBucket;
  /** A `config` came for this camera on this connection: its H.264 units may follow. */
  configured = false;
  /** Between start and stop: the hub wants this camera's frames. */
  started = false;
  /** How often its configuration (H.264 config, JPEG size) changed on this connection. */
  readonly changes = new ConfigChanges();
  /** An `audio` message came for this camera on this connection: its audio frames may follow. */
  audioConfigured = false;
  /** Its audio configuration's changes, counted apart from the video's. */
  readonly audioChanges = new ConfigChanges();
  /** Audio units allowed on it (not counted against the video's frame rate). */
  readonly audioBucket = new TokenBucket(MAX_AUDIO_UNITS_PER_SECOND, MAX_AUDIO_UNITS_PER_SECOND);
  /** Event snapshots allowed on it. */
  readonly snapshotBucket = new TokenBucket(SNAPSHOTS_PER_SECOND, SNAPSHOTS_PER_SECOND);
  /** The current start's pre-roll from the edge's buffer, when it asked for one. */
  replay: Replay | undefined;

  constructor(
    private readonly session: LinkSession,
    readonly camera: PublishedCamera,
    readonly edgeCamera: string,
    public channel: number,
    public rate: number,
  ) {
    this.bucket = new TokenBucket(rate, rate);
  }

  /** A new announce's frame-rate limit (the bucket starts afresh only when it changed). */
  limit(rate: number): void {
    if (rate === this.rate) return;
    this.rate = rate;
    this.bucket = new TokenBucket(rate, rate);
  }

  /** `from` (this hub's clock): the edge's buffered video from then on first, when the edge keeps one. */
  start(from?: number): void {
    this.started = true;
    if (from !== undefined && this.session.preRoll) {
      const fromEdge = Math.max(0, Math.round(this.session.toEdge(from)));
      this.replay = { fromEdge, fromHub: from, bytes: 0, live: false };
      this.session.send({ type: 'start', camera: this.edgeCamera, from: fromEdge });
    } else {
      this.replay = undefined;
      this.session.send({ type: 'start', camera: this.edgeCamera });
    }
    this.session.demanded();
  }

  /**
   * A frame of this camera flagged as buffered: what is wrong with it, if anything. Buffered frames come
   * only after a start with `from` and before the first live one, at most MAX_BUFFER_LEAD_MS before
   * `from`, at most MAX_BUFFERED_BYTES in all. `capturedAt`: on the edge's clock.
   */
  buffered(capturedAt: number, bytes: number): string | undefined {
    const replay = this.replay;
    if (!replay || replay.live) return 'a buffered frame without a start "from", or after live ones';
    if (capturedAt < replay.fromEdge - MAX_BUFFER_LEAD_MS)
      return `a buffered frame ${Math.round((replay.fromEdge - capturedAt) / 1000)} s before "from"`;
    replay.bytes += bytes;
    if (replay.bytes > MAX_BUFFERED_BYTES) return `buffered video over ${MAX_BUFFERED_BYTES} bytes`;
    return undefined;
  }

  stop(): void {
    this.started = false;
    this.replay = undefined;
    this.session.send({ type: 'stop', camera: this.edgeCamera });
  }
}
