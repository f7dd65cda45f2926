/**
 * `record: {mode: events}`: a camera recorded only around its motion events. The gate stands
 * between the camera and its recorder: it keeps the last pre-roll seconds in memory (pre-roll.ts)
 * and passes nothing on until an event starts; then it writes the pre-roll and passes every unit
 * until `postRollMs` after the event's end, where the recorder's segment ends (a gap 'idle' until
 * the next event).
 */
import type { CameraStatus, Consumer } from '../hub/consumer.js';
import type { AccessUnit } from '../media/index.js';
import { PreRoll, unitTime } from './pre-roll.js';

/** What the gate drives: the camera's recorder. */
export interface GatedRecorder {
  onUnit(unit: AccessUnit): void;
  onStatus(status: CameraStatus): void;
  /** Ends the segment: recording resumes with the next event. */
  pause(): void;
}

export class EventGate implements Consumer {
  readonly background = true;
  readonly preRoll: PreRoll;
  private recording = false;
  /** Recording stops at the first unit after this wall time (ms); undefined while an event lasts. */
  private until: number | undefined;
  private lastWritten = -1;
  /** Events that have started and not ended (overlapping events of the same camera, from an edge). */
  private open = 0;

  /** `paused`: called when recording stops past an event's post-roll. */
  constructor(
    private readonly recorder: GatedRecorder,
    preRollMs: number,
    maxBytes?: number,
    private readonly paused?: () => void,
  ) {
    this.preRoll = new PreRoll(preRollMs, maxBytes);
  }

  get isRecording(): boolean {
    return this.recording;
  }

  onUnit(unit: AccessUnit): void {
    if (unit.placeholder) return;
    // Always buffered, also while recording: an event soon after another has its pre-roll too.
    this.preRoll.push(unit);
    if (!this.recording) return;
    if (this.until !== undefined && unitTime(unit) > this.until) {
      this.recording = false;
      this.until = undefined;
      this.recorder.pause();
      this.paused?.();
      return;
    }
    this.write(unit);
  }

  onStatus(status: CameraStatus): void {
    if (!status.online) this.preRoll.clear();
    this.recorder.onStatus(status);
  }

  /** An event started: the pre-roll is written, and everything after it. */
  eventStarted(): void {
    this.open++;
    this.until = undefined;
    if (this.recording) return;
    this.recording = true;
    for (const unit of this.preRoll.units(this.lastWritten)) this.write(unit);
  }

  /** An event ended: recording goes on `postRollMs` past `endMs` (wall ms), unless another event is open. */
  eventEnded(endMs: number, postRollMs: number): void {
    this.open = Math.max(0, this.open - 1);
    if (this.open > 0 || !this.recording) return;
    this.until = Math.max(this.until ?? 0, endMs + postRollMs);
  }

  private write(unit: AccessUnit): void {
    this.lastWritten = unit.seq;
    this.recorder.onUnit(unit);
  }
}
