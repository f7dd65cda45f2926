/**
 * The edge's pre-roll for a hub that records a camera around events (`buffer` from the hub, with the
 * `pre-roll` event feature): the last seconds of the camera's H.264 in memory, whole groups of pictures,
 * bounded in bytes (src/recording's PreRoll, the same cap), so that when the hub starts the camera for
 * an event (`start` with `from`) its video from before the event goes first. Subscribed for as long as
 * the hub wants it (the session's life): an unwatched camera's uplink still carries nothing.
 */
import type { CameraStream } from '../hub/camera-stream.js';
import type { CameraStatus, Consumer } from '../hub/consumer.js';
import type { AccessUnit } from '../media/index.js';
import { PreRoll } from '../recording/pre-roll.js';
import { MAX_BUFFERED_BYTES } from './protocol.js';

/**
 * Kept beyond what the hub asks for (and the camera's min_duration, added by the session): the time from
 * the event's being told to the hub's `start` (the detector's delay, the uplink's round trip).
 */
export const EDGE_BUFFER_SLACK_MS = 5000;

export class EdgeBuffer implements Consumer {
  readonly background = true;
  readonly preRoll: PreRoll;
  private unsubscribe: (() => void) | undefined;

  constructor(
    readonly stream: CameraStream,
    readonly ms: number,
    maxBytes = MAX_BUFFERED_BYTES,
  ) {
    this.preRoll = new PreRoll(ms + EDGE_BUFFER_SLACK_MS, maxBytes);
  }

  /** Starts keeping the camera's H.264 (false: the camera cannot give it now). */
  start(): boolean {
    if (this.unsubscribe) return true;
    try {
      this.unsubscribe = this.stream.subscribe(this, 'h264');
    } catch {
      return false;
    }
    // From the current group of pictures on, not from the next keyframe.
    this.stream.catchUp(this, 'h264');
    return true;
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.preRoll.clear();
  }

  onUnit(unit: AccessUnit): void {
    if (!unit.placeholder) this.preRoll.push(unit);
  }

  onStatus(status: CameraStatus): void {
    if (!status.online) this.preRoll.clear();
  }

  /**
   * Where a `start` with `from` (the edge's clock, as its events' times) begins: the last keyframe taken
   * at or before `from` (or the oldest kept), never a unit already sent (`afterSeq`). Undefined: nothing kept.
   */
  from(from: number, afterSeq = -1): AccessUnit | undefined {
    let first: AccessUnit | undefined;
    for (const u of this.preRoll.units(afterSeq)) {
      if (!u.keyframe) continue;
      if (first && u.wallTime > from) break;
      first = u;
    }
    return first;
  }

  /** The next unit kept after `seq` (the replay's cursor), or undefined when none is newer. */
  after(seq: number): AccessUnit | undefined {
    return this.preRoll.after(seq);
  }
}
