/**
 * The config key of motion detection: `motion:` per camera (and in camera_defaults). `motion: true`
 * is short for `motion: { enabled: true }`; a block without `enabled` detects. Times are in seconds;
 * `threshold` is a change of grey level (0-255) a pixel needs to count; `min_area` the share of the
 * picture (0-1) the smallest moving region must cover; zones are polygons in coordinates normalised
 * to the picture (0-1, from its top left corner).
 */
import { z } from 'zod';

export const ZONE_NAME = /^[A-Za-z0-9][A-Za-z0-9_. -]{0,63}$/;

const between = (min: number, max: number, what: string) =>
  z
    .number({ error: `expected ${what} from ${min} to ${max}` })
    .min(min, `expected ${what} from ${min} to ${max}`)
    .max(max, `expected ${what} from ${min} to ${max}`);

const POINT_RULE = 'expected a point [x, y], each from 0 to 1 (a share of the picture from its top left corner)';

const point = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)], { error: POINT_RULE });

const zoneSchema = z.strictObject(
  {
    name: z.string().regex(ZONE_NAME, 'expected a zone name of letters, digits, space, _ . - (at most 64)'),
    type: z.enum(['include', 'exclude'], { error: 'expected include or exclude' }).default('include'),
    points: z
      .array(point, { error: 'expected a list of at least 3 points [x, y]' })
      .min(3, 'expected a list of at least 3 points [x, y]')
      .max(100, 'expected at most 100 points'),
  },
  { error: 'expected a zone { name, type: include|exclude, points: [[x, y], ...] }' },
);

const motionObject = z
  .strictObject(
    {
      enabled: z.boolean().optional(),
      fps: between(0.5, 15, 'pictures a second,').optional(),
      threshold: between(1, 255, 'a grey-level change').optional(),
      min_area: between(0, 1, 'a share of the picture').optional(),
      min_duration: between(0, 60, 'seconds').optional(),
      end_after: between(1, 3600, 'seconds').optional(),
      pre_roll: between(0, 60, 'seconds').optional(),
      post_roll: between(0, 600, 'seconds').optional(),
      zones: z.array(zoneSchema).max(32, 'expected at most 32 zones').optional(),
    },
    { error: 'expected true, false or { enabled, fps, threshold, min_area, min_duration, end_after, zones, ... }' },
  )
  .superRefine((motion, ctx) => {
    const seen = new Set<string>();
    (motion.zones ?? []).forEach((zone, i) => {
      if (seen.has(zone.name))
        ctx.addIssue({ code: 'custom', path: ['zones', i, 'name'], message: 'a zone name used only once per camera' });
      seen.add(zone.name);
    });
  });

/** `motion: true|false` is short for `motion: { enabled: true|false }`. */
export const motionSchema = z.preprocess(
  (value) => (typeof value === 'boolean' ? { enabled: value } : value),
  motionObject,
);

export type MotionOptions = z.infer<typeof motionObject>;

export interface MotionZone {
  name: string;
  type: 'include' | 'exclude';
  /** Normalised [x, y] pairs, 0-1 from the top left corner. */
  points: ReadonlyArray<readonly [number, number]>;
}

/** One camera's motion detection, settled (present on a CameraConfig only when it detects). */
export interface CameraMotionConfig {
  /** Pictures analysed a second. */
  fps: number;
  /** Grey-level change (0-255) a pixel needs to count as changed. */
  threshold: number;
  /** Share of the analysed picture (0-1) a moving region must cover to count. */
  minArea: number;
  /** Motion must last this long (ms) to start an event. */
  minDurationMs: number;
  /** An event ends after this long (ms) without motion. */
  endAfterMs: number;
  /** Recording kept before an event's start (ms). */
  preRollMs: number;
  /** Recording kept after an event's end (ms). */
  postRollMs: number;
  zones: MotionZone[];
}

export const MOTION_DEFAULTS = {
  fps: 5,
  threshold: 20,
  minArea: 0.0005,
  minDuration: 0.3,
  endAfter: 10,
  preRoll: 5,
  postRoll: 5,
};

/**
 * camera_defaults' `motion:` merged with the camera's own (key by key; zones are the camera's when it
 * has any); a block without `enabled` detects. Undefined when the camera does not detect motion.
 */
export function settleMotion(
  defaults: MotionOptions | undefined,
  own: MotionOptions | undefined,
): CameraMotionConfig | undefined {
  if (!defaults && !own) return undefined;
  const merged = { ...(defaults ?? {}), ...stripUndefined(own ?? {}) };
  if (merged.enabled === false) return undefined;
  return {
    fps: merged.fps ?? MOTION_DEFAULTS.fps,
    threshold: merged.threshold ?? MOTION_DEFAULTS.threshold,
    minArea: merged.min_area ?? MOTION_DEFAULTS.minArea,
    minDurationMs: (merged.min_duration ?? MOTION_DEFAULTS.minDuration) * 1000,
    endAfterMs: (merged.end_after ?? MOTION_DEFAULTS.endAfter) * 1000,
    preRollMs: (merged.pre_roll ?? MOTION_DEFAULTS.preRoll) * 1000,
    postRollMs: (merged.post_roll ?? MOTION_DEFAULTS.postRoll) * 1000,
    zones: (merged.zones ?? []).map((z) => ({
      name: z.name,
      type: z.type,
      points: z.points.map(([x, y]) => [x, y] as const),
    })),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
