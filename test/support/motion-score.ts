/**
 * Scores the motion detector on a clip against its ground truth (motion-clips.ts): the clip's pictures
 * go straight to the analysis, its observations are grouped into events the way the issue words it
 * (an event starts once motion has lasted min_duration, ends after end_after without any), and each
 * true event must have an event starting within `withinMs` of its start; a distractor clip must have none.
 */
import { MotionAnalyser } from '../../src/motion/analyser.js';
import { MOTION_DEFAULTS } from '../../src/motion/config.js';
import { grayFrames, type MotionClip } from './motion-clips.js';

export interface ScoredObservation {
  at: number;
  score: number;
  motion: boolean;
  zones: string[];
}

export interface ScoredEvent {
  /** ms: the first picture of the motion that started it. */
  start: number;
  /** ms: when it was raised (motion had lasted min_duration). */
  raisedAt: number;
  /** ms: the last picture with motion. */
  end: number;
  peak: number;
  zones: string[];
}

export interface GroupOptions {
  minDurationMs: number;
  endAfterMs: number;
}

/** A run of motion broken by this long without any starts again. */
const RUN_GAP_MS = 1000;

/** Observations (in time order) into events. */
export function groupEvents(observations: readonly ScoredObservation[], options: GroupOptions): ScoredEvent[] {
  const events: ScoredEvent[] = [];
  let open: ScoredEvent | undefined;
  let runStart: number | undefined;
  let lastMotion = -Infinity;
  for (const o of observations) {
    if (open && o.at - lastMotion > options.endAfterMs) {
      events.push(open);
      open = undefined;
    }
    if (runStart !== undefined && o.at - lastMotion > RUN_GAP_MS) runStart = undefined;
    if (!o.motion) continue;
    lastMotion = o.at;
    if (open) {
      open.end = o.at;
      open.peak = Math.max(open.peak, o.score);
      for (const z of o.zones) if (!open.zones.includes(z)) open.zones.push(z);
      continue;
    }
    runStart ??= o.at;
    if (o.at - runStart >= options.minDurationMs) {
      open = { start: runStart, raisedAt: o.at, end: o.at, peak: o.score, zones: [...o.zones] };
      runStart = undefined;
    }
  }
  if (open) events.push(open);
  return events;
}

export interface ClipScore {
  clip: string;
  kind: 'object' | 'distractor';
  /** True events found (an event raised from their start to `withinMs` after it). */
  found: number;
  expected: number;
  /** Per true event: ms from its start to the event being raised (undefined: missed). */
  delays: (number | undefined)[];
  /** Events that match no true event (every event of a distractor clip). */
  falseEvents: number;
  /** Zones of the matched events, per true event. */
  zones: string[][];
  events: ScoredEvent[];
  frames: number;
  /** CPU ms of analysis per picture. */
  msPerFrame: number;
}

export async function scoreClip(
  clip: MotionClip,
  options: { fps?: number; threshold?: number; minArea?: number; withinMs?: number } & Partial<GroupOptions> = {},
): Promise<ClipScore> {
  const fps = options.fps ?? MOTION_DEFAULTS.fps;
  const withinMs = options.withinMs ?? 1000;
  const { width, height, frames } = await grayFrames(clip, fps);
  const analyser = new MotionAnalyser({
    width,
    height,
    fps,
    threshold: options.threshold ?? MOTION_DEFAULTS.threshold,
    minArea: options.minArea ?? MOTION_DEFAULTS.minArea,
    zones: clip.truth.zones,
  });
  const observations: ScoredObservation[] = [];
  const started = process.cpuUsage();
  for (const frame of frames) {
    const r = analyser.analyse(frame.data);
    observations.push({ at: frame.at, score: r.score, motion: r.motion, zones: r.zones });
  }
  const used = process.cpuUsage(started);
  const msPerFrame = (used.user + used.system) / 1000 / Math.max(1, frames.length);
  const events = groupEvents(observations, {
    minDurationMs: options.minDurationMs ?? MOTION_DEFAULTS.minDuration * 1000,
    endAfterMs: options.endAfterMs ?? MOTION_DEFAULTS.endAfter * 1000,
  });
  const matched = new Set<ScoredEvent>();
  const delays: (number | undefined)[] = [];
  const zones: string[][] = [];
  for (const truth of clip.truth.events) {
    const start = truth.start * 1000;
    const event = events.find((e) => !matched.has(e) && e.raisedAt >= start && e.raisedAt <= start + withinMs);
    if (event) matched.add(event);
    delays.push(event ? event.raisedAt - start : undefined);
    zones.push(event ? [...event.zones].sort() : []);
  }
  return {
    clip: clip.truth.name,
    kind: clip.truth.kind,
    found: matched.size,
    expected: clip.truth.events.length,
    delays,
    falseEvents: events.filter((e) => !matched.has(e)).length,
    zones,
    events,
    frames: frames.length,
    msPerFrame,
  };
}
