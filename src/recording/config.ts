/**
 * The config keys of recording: `record:` per camera (and in camera_defaults), `recordings:` for the
 * store. Sizes are "50GB", "500MB", "1.5TB", "10MiB" (decimal and binary units) or a number of bytes.
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

export const SIZE_RULE = 'expected a size like "50GB", "500MB", "1.5TB", "10MiB" or a number of bytes';
const FREE_RULE = 'expected a size like "2GB" or a percentage of the disk like "5%"';

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
};

/** Bytes, or undefined when `value` is not a size (negative, not finite, an unknown unit). */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!match) return undefined;
  const unit = UNITS[(match[2] ?? '').toLowerCase() || 'b'];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const size = z.unknown().transform((value, ctx) => {
  const bytes = parseSize(value);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: SIZE_RULE });
    return z.NEVER;
  }
  return bytes;
});

/** Free space to keep: bytes, or a share of the file system. */
export type FreeSpace = { bytes: number } | { percent: number };

const freeSpace = z.unknown().transform((value, ctx): FreeSpace => {
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*%\s*$/.test(value)) {
    const percent = Number(value.replace('%', '').trim());
    if (percent <= 90) return { percent };
  } else {
    const bytes = parseSize(value);
    if (bytes !== undefined) return { bytes };
  }
  ctx.addIssue({ code: 'custom', message: FREE_RULE });
  return z.NEVER;
});

const recordObject = z.strictObject(
  {
    enabled: z.boolean().optional(),
    retain_days: z
      .number({ error: 'expected days, more than 0 and at most 36500' })
      .positive('expected days, more than 0 and at most 36500')
      .max(36_500, 'expected days, more than 0 and at most 36500')
      .optional(),
    retain_size: size.optional(),
    /** Several hubs (src/cluster): the hub that records the camera, when not the one that has it. */
    on: z
      .string()
      .regex(/^[a-z0-9_-]{1,64}$/, 'a hub name of 1 to 64 characters from a-z 0-9 _ -')
      .optional(),
    // continuous (the default), or events: only around motion events, with their pre- and post-roll.
    mode: z.enum(['continuous', 'events'], { error: 'expected continuous or events' }).optional(),
    // How long events and the recordings they cover are kept (longer than retain_days).
    events_retain_days: z
      .number({ error: 'expected days, more than 0 and at most 36500' })
      .positive('expected days, more than 0 and at most 36500')
      .max(36_500, 'expected days, more than 0 and at most 36500')
      .optional(),
  },
  { error: 'expected true, false or { enabled, mode, retain_days, events_retain_days, retain_size, on }' },
);

/** `record: true|false` is short for `record: { enabled: true|false }`. */
export const recordSchema = z.preprocess(
  (value) => (typeof value === 'boolean' ? { enabled: value } : value),
  recordObject,
);

export type RecordOptions = z.infer<typeof recordObject>;

/** A publisher's `record:` (the hub records that edge's cameras): a camera's keys, and max_size for all of them. */
export const publisherRecordSchema = z.preprocess(
  (value) => (typeof value === 'boolean' ? { enabled: value } : value),
  recordObject.extend({ max_size: size.optional() }),
);

export type PublisherRecordOptions = z.infer<typeof publisherRecordSchema>;

const SHARE_RULE = 'expected a share of the store like "25%" (1% to 100%)';

const share = z.unknown().transform((value, ctx) => {
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value) : null;
  const percent = m ? Number(m[1]) : NaN;
  if (percent >= 1 && percent <= 100) return percent;
  ctx.addIssue({ code: 'custom', message: SHARE_RULE });
  return z.NEVER;
});

export const recordingsSchema = z.strictObject({
  path: z.string().min(1).optional(),
  max_size: size.optional(),
  min_free: freeSpace.optional(),
  edge_share: share.optional(),
  segment_duration: z
    .number({ error: 'expected seconds, from 2 to 3600' })
    .min(2, 'expected seconds, from 2 to 3600')
    .max(3600, 'expected seconds, from 2 to 3600')
    .optional(),
});

export type RecordingsOptions = z.infer<typeof recordingsSchema>;

/** One camera's recording, settled (present on a CameraConfig only when the camera records). */
export interface CameraRecordConfig {
  /** continuous: all the time; events: only around motion events (a pre-roll kept in memory). */
  mode?: 'continuous' | 'events';
  retainDays: number;
  /** Days events and the recordings their clips cover are kept (at least retainDays); absent: 30, or retainDays if longer. */
  eventsRetainDays?: number;
  /** Most bytes this camera's recordings may take; undefined: no limit of its own. */
  retainBytes?: number;
  /** A camera an edge publishes: most bytes all of that edge's cameras may take (publishers[].record.max_size). */
  edgeMaxBytes?: number;
  /** Several hubs: the hub that records it (`record.on`), when another than the one that has it. */
  on?: string;
}

/** The store, settled. */
export interface RecordingsConfig {
  /** Absolute. */
  path: string;
  /** Most bytes the whole store may take; undefined: no limit but minFree. */
  maxBytes?: number;
  minFree: FreeSpace;
  /**
   * Per edge, the share of the store (percent of max_size, else of what min_free leaves of the disk)
   * its cameras may hold before store-wide pressure deletes theirs first.
   */
  edgeSharePercent?: number;
  segmentDurationMs: number;
  /** retain_days for recordings of cameras no longer configured (camera_defaults', else the default). */
  defaultRetainDays: number;
  /** events_retain_days for them (default 30). */
  defaultEventsRetainDays?: number;
}

export const RECORD_DEFAULTS = {
  retainDays: 14,
  eventsRetainDays: 30,
  minFree: { percent: 5 } as FreeSpace,
  segmentDuration: 60,
  edgeSharePercent: 25,
};

/**
 * camera_defaults' `record:` merged with the camera's own (key by key); a block without `enabled`
 * records. Undefined when the camera does not record.
 */
export function settleRecord(
  defaults: RecordOptions | undefined,
  own: RecordOptions | undefined,
): CameraRecordConfig | undefined {
  if (!defaults && !own) return undefined;
  const merged = { ...(defaults ?? {}), ...stripUndefined(own ?? {}) };
  if (merged.enabled === false) return undefined;
  const retainDays = merged.retain_days ?? RECORD_DEFAULTS.retainDays;
  // Only what is given: the settled shape of a camera recorded as before is as before.
  return {
    ...(merged.mode === 'events' ? { mode: 'events' as const } : {}),
    retainDays,
    ...(merged.events_retain_days !== undefined
      ? { eventsRetainDays: Math.max(retainDays, merged.events_retain_days) }
      : {}),
    ...(merged.retain_size !== undefined ? { retainBytes: merged.retain_size } : {}),
    ...(own?.on !== undefined ? { on: own.on } : {}),
  };
}

/** A publisher's `record:`: settled like a camera's, with the edge's max_size. */
export function settlePublisherRecord(
  defaults: RecordOptions | undefined,
  own: PublisherRecordOptions | undefined,
): CameraRecordConfig | undefined {
  const { max_size, ...camera } = own ?? {};
  const settled = settleRecord(defaults, own ? camera : undefined);
  // An edge's cameras are recorded by the hub they are published to: `on` is for a hub's own cameras.
  if (settled) delete settled.on;
  return settled && max_size !== undefined ? { ...settled, edgeMaxBytes: max_size } : settled;
}

/**
 * The store's settings. The default path is `$STATE_DIRECTORY/recordings` under systemd's
 * StateDirectory=, else `recordings` in the working directory; a relative path is resolved
 * against the working directory.
 */
export function settleRecordings(
  options: RecordingsOptions | undefined,
  defaults: RecordOptions | undefined,
  env: NodeJS.ProcessEnv = process.env,
): RecordingsConfig {
  const state = env.STATE_DIRECTORY?.split(':')[0];
  const given = options?.path ?? (state ? resolve(state, 'recordings') : 'recordings');
  return {
    path: isAbsolute(given) ? given : resolve(process.cwd(), given),
    ...(options?.max_size !== undefined ? { maxBytes: options.max_size } : {}),
    minFree: options?.min_free ?? RECORD_DEFAULTS.minFree,
    edgeSharePercent: options?.edge_share ?? RECORD_DEFAULTS.edgeSharePercent,
    segmentDurationMs: (options?.segment_duration ?? RECORD_DEFAULTS.segmentDuration) * 1000,
    defaultRetainDays: defaults?.retain_days ?? RECORD_DEFAULTS.retainDays,
    ...(defaults?.events_retain_days !== undefined
      ? { defaultEventsRetainDays: Math.max(defaults.retain_days ?? 0, defaults.events_retain_days) }
      : {}),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** "1.5 GB", "300 MB": for log lines. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${i === 0 ? value : value.toFixed(1)} ${units[i]}`;
}
