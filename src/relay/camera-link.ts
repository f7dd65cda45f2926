/**
 * One announced camera as an edge's connection carries it (publisher-session.ts): the published camera's
 * EdgeLink (start and stop become `start`/`stop` messages), its channel in the binary frames, its frame-rate
 * limit, and whether its H.264 configuration came.
 */
import { TokenBucket } from '../wire/token-bucket.js';
import { ConfigChanges } from './picture-limits.js';
import { MAX_AUDIO_UNITS_PER_SECOND } from './protocol.js';
import type { HubMessage } from './protocol.js';
import type { PublishedCamera } from './published-cameras.js';
import type { EdgeLink } from './remote-source.js';

/** What a link needs of its connection. */
export interface LinkSession {
  send(message: HubMessage): void;
  /** A camera was started: the connection's clock pings run. */
  demanded(): void;
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

  start(): void {
    this.started = true;
    this.session.send({ type: 'start', camera: this.edgeCamera });
    this.session.demanded();
  }

  stop(): void {
    this.started = false;
    this.session.send({ type: 'stop', camera: this.edgeCamera });
  }
}
