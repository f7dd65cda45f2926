/**
 * An H.264 viewer's quality (`?quality=`): which of the camera's tracks it receives and the moves
 * between them. `main` is the camera's picture, `sub` its smaller sub-stream, `low` a smaller one still
 * (fewer pictures a second), `keyframes` the sub-stream's keyframes only; pinned by the client, or with
 * `auto` chosen by adaptation.ts from what the viewer's acks tell of its link, down and up the ladder of
 * the levels the camera can make (a camera without a sub-stream: main and its keyframes; one that cannot
 * make `low`: without it). A level asked for that the camera cannot make is the nearest above it.
 *
 * A move subscribes to the target's track and waits for that track's next keyframe (never asking the
 * encoder for one): the units of the old track go out until then, the target's from its keyframe on
 * (the sender then numbers them on from the wire's and sends their `config` first), after a `quality`
 * message saying what and why. A move down holds the old track's units meanwhile (the link cannot
 * carry them), so the target's keyframe finds the link free; the picture holds.
 */
import type { Quality } from '../../hub/consumer.js';
import type { AccessUnit } from '../../media/index.js';
import { EVALUATE_MS, LADDER, QualityController, rank, type Level, type LinkSample, type Rates } from './adaptation.js';

/** What the client asks for with `?quality=`. */
export type QualityRequest = 'auto' | Level;
/** Why the viewer gets what it gets (the `quality` message's `reason`). */
export type QualityReason = 'start' | 'link' | 'pinned' | 'unavailable';

/** A move that has not found the target's keyframe in this long is given up (its source is not delivering). */
const PENDING_MS = 5000;
/** An adaptive viewer on a smaller stream that has had nothing from it in this long goes back to main. */
const RUNG_SILENT_MS = 5000;
/** The sub-stream made ready for a viewer on main whose link looks uneasy is let go after this long at ease. */
const WARM_MS = 15_000;

/** What the switch needs of its viewer and camera. */
export interface QualityHost {
  /** The camera can make the `quality` H.264 stream (main: always). */
  has(quality: Quality): boolean;
  /** Subscribes the viewer to one of the camera's H.264 tracks; returns the undo. */
  subscribe(quality: Quality): () => void;
  /** The camera's stream rates (kbit/s). */
  rates(into: Rates): void;
  /** The camera is online (a silent sub-stream then means it is not delivering). */
  online(): boolean;
  /** What the viewer's acks and queue say of its link now (all but `now`). */
  link(into: LinkSample, now: number): void;
  /** A move down began: what waits of the old track is dropped (its units are held from now). */
  hold(): void;
  /** The move happened: the next unit out is the target's keyframe; the viewer is told (`quality`). */
  moved(): void;
  /** A move decided (waiting for its keyframe) or done: for the logs. */
  onMove?(event: { phase: 'decided' | 'done'; from: Level; to: Level; reason: QualityReason }): void;
}

export class QualitySwitch {
  /** What the viewer receives now, and the move waiting for its target's keyframe. */
  level: Level = 'main';
  reason: QualityReason = 'pinned';
  switches = 0;
  readonly controller: QualityController | undefined;
  private pending: Level | undefined;
  private pendingSince = 0;
  private holding = false;
  private readonly unsubscribe: Record<Quality, (() => void) | undefined> = {
    main: undefined,
    sub: undefined,
    low: undefined,
  };
  private readonly lastUnitAt: Record<Quality, number> = { main: 0, sub: 0, low: 0 };
  private lastAdapt = -Infinity;
  /** When the sub-stream was last wanted ready (subscribed to, its units not sent) for a viewer on main. */
  private warmAt = 0;
  // Reused for every evaluation: nothing allocated per unit.
  private readonly sample: LinkSample = { now: 0, ackedBytes: 0, keyframeSkips: 0, oldestUnackedMs: 0 };
  private readonly rateSample: Rates = { mainKbps: 0, subKbps: 0, lowKbps: 0 };

  constructor(
    private readonly host: QualityHost,
    asked: QualityRequest,
    now: number,
  ) {
    const ladder = LADDER.filter((level) => level === 'main' || level === 'keyframes' || host.has(level));
    if (asked === 'auto') {
      this.reason = 'start';
      this.controller = new QualityController('main', now, ladder);
    } else {
      // Pinned: the nearest level at or above it that the camera makes (`keyframes` are main's without a sub-stream).
      this.level = ladder.filter((level) => rank(level) >= rank(asked)).at(-1) ?? 'main';
      this.reason = asked === this.level ? 'pinned' : 'unavailable';
    }
  }

  /** The track the viewer receives now. */
  get track(): Quality {
    return this.trackOf(this.level);
  }

  /** Subscribes to the track of the starting quality (the camera may throw: it is closing). */
  open(): void {
    this.subscribeTo(this.track);
  }

  /** Leaves the camera's tracks. */
  close(): void {
    for (const quality of ['main', 'sub', 'low'] as const) this.unsubscribeFrom(quality);
  }

  /** A unit of `quality`'s track arrived: true when it goes to the viewer (a move may happen here). */
  admit(unit: AccessUnit, quality: Quality, now: number): boolean {
    this.lastUnitAt[quality] = now;
    if (this.pending !== undefined && unit.keyframe && quality === this.trackOf(this.pending)) this.commit();
    return quality === this.track && (this.level !== 'keyframes' || unit.keyframe) && !this.holding;
  }

  /** Auto: evaluates the link (at most every EVALUATE_MS) and starts a move when one is due. */
  adapt(now: number): void {
    const controller = this.controller;
    if (!controller || now - this.lastAdapt < EVALUATE_MS) return;
    this.lastAdapt = now;
    if (this.pending !== undefined && now - this.pendingSince > PENDING_MS) {
      // The target's track never delivered a keyframe: stay where the viewer is.
      this.cancelPending();
      controller.level = this.level;
    }
    const host = this.host;
    const track = this.track;
    if (
      track !== 'main' &&
      this.pending === undefined &&
      host.online() &&
      now - this.lastUnitAt[track] > RUNG_SILENT_MS
    ) {
      // The smaller stream stopped delivering (its source or encoder failed): main again.
      controller.level = 'main';
      this.moveTo('main', 'unavailable', now);
      return;
    }
    const sample = this.sample;
    sample.now = now;
    host.link(sample, now);
    host.rates(this.rateSample);
    const target = controller.update(sample, this.rateSample);
    if (target !== undefined) return this.moveTo(target, 'link', now);
    // On main with a link that looks uneasy: the sub-stream is started now (its encoder may take a second or
    // two), so that a move down waits only for its next keyframe.
    if (this.track !== 'main' || this.pending !== undefined || !host.has('sub')) return;
    if (controller.uneasy) {
      this.warmAt = now;
      this.subscribeTo('sub');
    } else if (this.unsubscribe.sub && now - this.warmAt > WARM_MS) this.unsubscribeFrom('sub');
  }

  private trackOf(level: Level): Quality {
    if (level === 'low' && this.host.has('low')) return 'low';
    return level === 'main' || !this.host.has('sub') ? 'main' : 'sub';
  }

  private subscribeTo(quality: Quality): void {
    if (this.unsubscribe[quality]) return;
    this.unsubscribe[quality] = this.host.subscribe(quality);
  }

  private unsubscribeFrom(quality: Quality): void {
    const undo = this.unsubscribe[quality];
    this.unsubscribe[quality] = undefined;
    undo?.();
  }

  /** Starts a move: at once to keyframes on the same track, else at the target track's next keyframe. */
  private moveTo(target: Level, reason: QualityReason, now: number): void {
    if (target === this.level) {
      this.cancelPending();
      return;
    }
    this.reason = reason;
    const track = this.trackOf(target);
    if (this.pending !== undefined && this.trackOf(this.pending) !== track) this.cancelPending();
    this.pending = target;
    this.pendingSince = now;
    this.host.onMove?.({ phase: 'decided', from: this.level, to: target, reason });
    if (track === this.track) {
      // Down to keyframes on the same track: at once, from its next keyframe.
      if (target === 'keyframes') this.commit();
      return;
    }
    this.subscribeTo(track);
    this.lastUnitAt[track] = now; // silence is counted from here
    if (rank(target) < rank(this.level)) {
      this.holding = true;
      this.host.hold();
    }
  }

  private cancelPending(): void {
    const pending = this.pending;
    this.pending = undefined;
    this.holding = false;
    if (pending !== undefined && this.trackOf(pending) !== this.track) this.unsubscribeFrom(this.trackOf(pending));
  }

  /** The move happens: the next unit out is the target's keyframe. */
  private commit(): void {
    const target = this.pending!;
    const old = this.track;
    this.pending = undefined;
    this.holding = false;
    this.host.onMove?.({ phase: 'done', from: this.level, to: target, reason: this.reason });
    this.level = target;
    this.switches++;
    if (this.trackOf(target) !== old) this.unsubscribeFrom(old);
    this.host.moved();
  }
}
