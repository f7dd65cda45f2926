/**
 * Whether the camera is live, from what the connection brings: `hello`, `status` messages,
 * pictures, MJPEG's first picture, a lost connection. Tells the element when the state changes
 * and when the camera comes online or goes offline (the `online` and `offline` events).
 *
 * The server sends `status` offline right after hello both for a camera that failed and for one
 * that is merely starting; only a failed one then sends (NO SIGNAL) JPEG pictures. So an offline
 * status before any picture is held until a picture confirms it, and the viewer meanwhile sees
 * "starting". H.264 and H.265 bring no NO SIGNAL pictures: there, no video for a while confirms it.
 */
import type { StatusMessage } from './protocol.js';
import type { OfflineEventDetail, PlayerState } from './types.js';

/** The states liveness knows; `paused` is the element's (hidden or off-screen). */
export type LiveState = Exclude<PlayerState, 'paused'>;

/** Video (H.264, H.265): an offline status before any video is confirmed after this long without video… */
export const VIDEO_OFFLINE_AFTER_MS = 3000;
/** …and after this long when the server says the camera is only being started for us. */
export const VIDEO_STARTING_OFFLINE_AFTER_MS = 8000;
const STARTING_REASONS = new Set(['not started', 'idle']);

export interface LivenessEvents {
  changed(state: LiveState): void;
  /** The camera's live pictures reach the player (again). */
  online(): void;
  /** The camera, or the connection to the server, is gone; repeated only when the cause or time changes. */
  offline(detail: OfflineEventDetail): void;
}

export class Liveness {
  private stateValue: LiveState = 'idle';
  private onlineValue = false;
  private offlineValue: OfflineEventDetail | null = null;
  /** An offline status that came before any picture: the camera may only be starting. */
  private pending: StatusMessage | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly events: LivenessEvents) {}

  get state(): LiveState {
    return this.stateValue;
  }

  /** True while the camera's live pictures reach the player. */
  get online(): boolean {
    return this.onlineValue;
  }

  /** While offline: since when and why (null otherwise). */
  get offline(): OfflineEventDetail | null {
    return this.offlineValue;
  }

  /** Starts over: `connecting` to a camera, or `idle` with none. */
  reset(state: 'connecting' | 'idle'): void {
    this.clearTimer();
    this.pending = undefined;
    this.offlineValue = null;
    this.onlineValue = false;
    this.set(state);
  }

  /** The element left the page: nothing more is heard until the next reset. */
  stop(): void {
    this.clearTimer();
    this.set('idle');
  }

  /** A WebSocket was greeted: the camera is live unless a status says otherwise before the first picture. */
  hello(): void {
    this.pending = undefined;
    this.clearTimer();
    if (this.stateValue !== 'live' && this.stateValue !== 'offline') this.set('starting');
  }

  /** `video`: the connection brings H.264 or H.265, which has no NO SIGNAL pictures. */
  status(message: StatusMessage, video: boolean): void {
    if (message.online) {
      this.pending = undefined;
      this.goLive();
    } else if (this.stateValue === 'live' || this.stateValue === 'offline') {
      this.goOffline({ cause: 'camera', since: message.since, reason: message.reason ?? null });
    } else {
      this.pending = message;
      this.set('starting');
      // JPEG: a NO SIGNAL picture confirms it (jpegPicture). Video has none: no video for a while does.
      this.clearTimer();
      if (video) {
        const starting = STARTING_REASONS.has(message.reason ?? '');
        const after = starting ? VIDEO_STARTING_OFFLINE_AFTER_MS : VIDEO_OFFLINE_AFTER_MS;
        this.timer = setTimeout(() => this.confirmPending(), after);
      }
    }
  }

  /** An H.264 or H.265 access unit: only live video comes this way, so the camera is live. */
  video(): void {
    this.pending = undefined;
    this.clearTimer();
    if (this.stateValue !== 'live') this.goLive();
  }

  /** A JPEG picture: the camera's own, or its NO SIGNAL picture when an offline status came first. */
  jpegPicture(): void {
    if (this.pending) this.confirmPending();
    else if (this.stateValue !== 'live' && this.stateValue !== 'offline') this.goLive();
  }

  /** The MJPEG stream shows its first picture (MJPEG tells nothing else). */
  mjpegLoaded(): void {
    this.goLive();
  }

  /** The connection failed or dropped. */
  lost(): void {
    this.clearTimer();
    if (this.offlineValue?.cause !== 'connection')
      this.goOffline({ cause: 'connection', since: Date.now(), reason: 'the server cannot be reached' });
  }

  private confirmPending(): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    this.goOffline({ cause: 'camera', since: pending.since, reason: pending.reason ?? null });
  }

  private goLive(): void {
    this.offlineValue = null;
    this.set('live');
    if (!this.onlineValue) {
      this.onlineValue = true;
      this.events.online();
    }
  }

  private goOffline(offline: OfflineEventDetail): void {
    const same = this.offlineValue?.cause === offline.cause && this.offlineValue.since === offline.since;
    this.offlineValue = offline;
    this.onlineValue = false;
    this.set(offline.cause === 'camera' ? 'offline' : 'disconnected');
    if (!same) this.events.offline(offline);
  }

  private set(state: LiveState): void {
    this.stateValue = state;
    this.events.changed(state);
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
