/**
 * Holds a camera's pictures back a little before the segmenter, until its sound of the same time has come.
 * The segmenter writes a unit of sound into the segment open when it arrives, and a segment ends at a
 * keyframe: sound that reaches the hub after the picture that ended its segment (ffmpeg hands audio over in
 * packets of up to 128 ms, later still on a busy machine) fell before the next segment's start and was lost,
 * a gap at every segment's end. With the pictures held until the sound has caught up, each unit of sound
 * reaches the segment of its time.
 *
 * Bounded: a picture is held at most HOLD_S of media time behind the newest one (and MAX_HELD pictures), and
 * not at all while the camera sends no sound (none seen in the last SOUND_IDLE_MS of arrivals), so a camera
 * whose sound stops, or that has none, records as before. Times compare on the one timeline of pts
 * (src/media: a video pts / VIDEO_CLOCK_RATE and an audio pts / its sample rate are seconds alike).
 */
import { VIDEO_CLOCK_RATE, type AccessUnit, type AudioUnit } from '../media/index.js';

/** Pictures are held at most this much media time behind the newest one. */
export const HOLD_S = 0.5;
/** Pictures held at most (HOLD_S of 120 fps). */
const MAX_HELD = 64;
/** No sound in this long of arrivals: the camera's sound has stopped (or it has none); pictures pass. */
const SOUND_IDLE_MS = 1000;

export interface InterleavedOutput {
  video(unit: AccessUnit): void;
  audio(unit: AudioUnit): void;
}

export class AvInterleaver {
  private held: AccessUnit[] = [];
  /** Where the sound that has come ends, in seconds of media time; undefined before any. */
  private soundEnd: number | undefined;
  private lastSoundArrival = -Infinity;

  constructor(private readonly out: InterleavedOutput) {}

  video(unit: AccessUnit): void {
    if (unit.capturedAt - this.lastSoundArrival > SOUND_IDLE_MS) {
      this.flush();
      this.out.video(unit);
      return;
    }
    this.held.push(unit);
    this.release();
  }

  audio(unit: AudioUnit): void {
    this.out.audio(unit);
    this.lastSoundArrival = unit.capturedAt;
    const end = (unit.pts + unit.samples) / unit.config.sampleRate;
    this.soundEnd = this.soundEnd === undefined ? end : Math.max(this.soundEnd, end);
    this.release();
  }

  /** Lets every held picture go (the segment ends, the camera went offline, the recorder closes). */
  flush(): void {
    const held = this.held;
    this.held = [];
    for (const unit of held) this.out.video(unit);
  }

  /** Forgets the held pictures (the recording failed under them). */
  reset(): void {
    this.held = [];
  }

  /** Pictures go once the sound has reached their time, or once they are HOLD_S behind the newest. */
  private release(): void {
    const newest = this.held[this.held.length - 1];
    if (!newest) return;
    const limit = seconds(newest) - HOLD_S;
    while (this.held.length > 0) {
      const first = this.held[0]!;
      const t = seconds(first);
      const heard = this.soundEnd !== undefined && t <= this.soundEnd;
      if (!heard && t > limit && this.held.length <= MAX_HELD) break;
      this.held.shift();
      this.out.video(first);
    }
  }
}

/** A picture's decode time in seconds of media time (what a segment is cut by). */
function seconds(unit: AccessUnit): number {
  return unit.dts / VIDEO_CLOCK_RATE;
}
