/**
 * What the store keeps. Segments are deleted, oldest first and never the one being written:
 * - by age: older than the camera's retain_days (cameras no longer configured: the default), but
 *   footage a motion event's clip covers: older than events_retain_days;
 * - by size per camera: over the camera's retain_size;
 * - by size per edge: the cameras an edge publishes, together over its publishers[].record.max_size;
 * - by size of the store: over recordings.max_size;
 * - by free space: while the file system has less than recordings.min_free free.
 * Under store-wide pressure (the last two), an edge holding more than its share of the store
 * (recordings.edge_share) loses its oldest first: an edge sending padded pictures cannot push the
 * hub's own cameras' recordings out.
 * Sizes count the open segments as far as they are written, so the store exceeds its limit by at
 * most the segment growing since the last run.
 */
import { rmdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { RecordingsConfig } from './config.js';
import { formatBytes } from './config.js';
import { diskSpace, type DiskSpace } from './disk.js';
import type { IndexDb, SegmentRow } from './segment-index.js';

export type DeletionReason = 'age' | 'camera-size' | 'edge-size' | 'store-size' | 'min-free';

const DAY_MS = 86_400_000;
/** Rows read per query while deleting by size. */
const BATCH = 200;

export interface RetentionDeps {
  root: string;
  config: RecordingsConfig;
  /** Per configured camera: its retain_days and retain_size (and for an edge's camera, the edge's max_size). */
  cameras: ReadonlyMap<
    string,
    { retainDays: number; eventsRetainDays?: number; retainBytes?: number; edgeMaxBytes?: number }
  >;
  /**
   * The spans the camera's events' clips cover overlapping [fromMs, toMs) (src/events): recordings
   * there are kept events_retain_days rather than retain_days.
   */
  keep?(camera: string, fromMs: number, toMs: number): { startMs: number; endMs: number }[];
  db(): IndexDb;
  /** Bytes of each open segment written so far, by camera. */
  openBytes(): Map<string, number>;
  /** Ids of the segments being written (never deleted). */
  openIds(): Set<number>;
  now(): number;
  log: Logger;
  /** The file system's space (tests replace it). */
  space?: (path: string) => Promise<DiskSpace>;
}

export class Retention {
  readonly deletions: Record<DeletionReason, number> = {
    age: 0,
    'camera-size': 0,
    'edge-size': 0,
    'store-size': 0,
    'min-free': 0,
  };
  deletedBytes = 0;
  /** Bytes in the store at the last run, open segments included. */
  storeBytes = 0;
  freeBytes: number | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** Bytes of the closed segments by camera: read from the index now and then, kept up to date between. */
  private closed: Map<string, number> | undefined;
  private closedReadAt = 0;

  constructor(private readonly deps: RetentionDeps) {}

  /** A segment was closed (its bytes count from now on). */
  added(camera: string, bytes: number): void {
    this.closed?.set(camera, (this.closed.get(camera) ?? 0) + bytes);
  }

  /** The index was opened again: totals are read again. */
  invalidate(): void {
    this.closed = undefined;
  }

  /** Runs now, or once more after the run in progress. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async pass(): Promise<void> {
    const { deps } = this;
    const db = deps.db();
    const now = deps.now();
    const open = deps.openIds();
    const removed: Record<string, { count: number; bytes: number; reason: DeletionReason; camera: string }> = {};
    /** Bytes by camera and by edge, kept up to date as segments go (filled once sizes are read). */
    const totals = new Map<string, number>();
    const edges = new Map<string, { bytes: number; cap?: number }>();
    const remove = async (row: SegmentRow, reason: DeletionReason): Promise<void> => {
      try {
        await unlink(join(deps.root, row.file));
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOENT') throw err;
      }
      db.remove(row.id);
      this.closed?.set(row.camera, (this.closed.get(row.camera) ?? 0) - row.bytes);
      if (totals.has(row.camera)) totals.set(row.camera, totals.get(row.camera)! - row.bytes);
      const edge = edges.get(edgeOf(row.camera) ?? '');
      if (edge) edge.bytes -= row.bytes;
      await rmdir(dirname(join(deps.root, row.file))).catch(() => undefined);
      this.deletions[reason]++;
      this.deletedBytes += row.bytes;
      const key = `${row.camera}\0${reason}`;
      const r = (removed[key] ??= { count: 0, bytes: 0, reason, camera: row.camera });
      r.count++;
      r.bytes += row.bytes;
    };

    // By age: footage an event's clip covers is kept events_retain_days.
    for (const camera of db.cameras()) {
      const own = deps.cameras.get(camera);
      const days = own?.retainDays ?? deps.config.defaultRetainDays;
      const cutoff = now - days * DAY_MS;
      const eventDays = Math.max(days, own?.eventsRetainDays ?? deps.config.defaultEventsRetainDays ?? 30);
      const eventCutoff = now - eventDays * DAY_MS;
      const kept = deps.keep && eventCutoff < cutoff ? deps.keep(camera, eventCutoff, cutoff) : [];
      const covered = (row: SegmentRow): boolean =>
        row.endMs > eventCutoff && kept.some((k) => k.startMs < row.endMs && k.endMs > row.startMs);
      for (const row of db.segments(camera, 0, cutoff)) {
        if (row.endMs <= cutoff && !open.has(row.id) && !covered(row)) await remove(row, 'age');
      }
      db.pruneGaps(camera, kept.length ? eventCutoff : cutoff);
    }

    // By size: totals from the index, open segments as far as written.
    // Summing the index costs tens of ms for a large store: done every 10 minutes, not per run.
    if (!this.closed || Date.now() - this.closedReadAt > 600_000) {
      this.closed = db.totals();
      this.closedReadAt = Date.now();
    }
    for (const [camera, bytes] of this.closed) totals.set(camera, bytes);
    for (const [camera, bytes] of deps.openBytes()) totals.set(camera, (totals.get(camera) ?? 0) + bytes);
    for (const [camera, bytes] of totals) {
      const edge = edgeOf(camera);
      if (edge === undefined) continue;
      const group = edges.get(edge) ?? { bytes: 0 };
      group.bytes += bytes;
      edges.set(edge, group);
    }
    for (const [camera, { edgeMaxBytes }] of deps.cameras) {
      const group = edges.get(edgeOf(camera) ?? '');
      if (group && edgeMaxBytes !== undefined) group.cap = Math.min(group.cap ?? Infinity, edgeMaxBytes);
    }
    /** Deletes the oldest rows `rows(n)` gives while `over()`. */
    const trim = async (over: () => boolean, rows: (n: number) => SegmentRow[], reason: DeletionReason) => {
      while (over()) {
        const batch = rows(BATCH);
        if (!batch.length) return;
        for (const row of batch) {
          if (!over()) return;
          await remove(row, reason);
        }
      }
    };
    for (const [camera, { retainBytes }] of deps.cameras) {
      if (retainBytes === undefined) continue;
      await trim(
        () => (totals.get(camera) ?? 0) > retainBytes,
        (n) => db.oldestOf(camera, n),
        'camera-size',
      );
    }
    for (const [edge, group] of edges) {
      const cap = group.cap;
      if (cap === undefined) continue;
      await trim(
        () => group.bytes > cap,
        (n) => db.oldestOfEdge(edge, n),
        'edge-size',
      );
    }
    const storeBytes = (): number => [...totals.values()].reduce((a, b) => a + b, 0);

    let space: DiskSpace | undefined;
    try {
      space = await (deps.space ?? diskSpace)(deps.root);
    } catch (err) {
      deps.log.debug({ err }, 'recording: cannot read the free space');
    }
    const minFree = deps.config.minFree;
    const want = 'bytes' in minFree ? minFree.bytes : space ? Math.ceil((space.total * minFree.percent) / 100) : 0;
    // An edge's share of the store: of max_size, else of the disk less what min_free keeps.
    const max = deps.config.maxBytes;
    const base = max ?? (space ? space.total - want : undefined);
    const share = base === undefined ? undefined : (base * (deps.config.edgeSharePercent ?? 100)) / 100;
    /** Under store-wide pressure: the edge furthest over its share first, then the oldest of all. */
    const pressured = (n: number): SegmentRow[] => {
      let worst: string | undefined;
      let most = 0;
      for (const [edge, group] of edges) {
        const over = group.bytes - Math.min(share ?? Infinity, group.cap ?? Infinity);
        if (over > most) [worst, most] = [edge, over];
      }
      const rows = worst === undefined ? [] : db.oldestOfEdge(worst, n);
      return rows.length ? rows : db.oldest(n);
    };
    if (max !== undefined) await trim(() => storeBytes() > max, pressured, 'store-size');

    // Free space on the file system.
    if (space) {
      let free = space.free;
      const before = storeBytes();
      await trim(() => free + (before - storeBytes()) < want, pressured, 'min-free');
      free += before - storeBytes();
      this.freeBytes = free;
    }
    this.storeBytes = storeBytes();

    for (const r of Object.values(removed)) {
      deps.log.info(
        { camera: r.camera, reason: r.reason, segments: r.count, bytes: r.bytes },
        `recording: deleted ${r.count} segment(s) (${formatBytes(r.bytes)}) of ${r.camera}: ${describe(r.reason)}`,
      );
    }
  }
}

/** The edge of a camera an edge publishes (`shed` of `shed.cam`); undefined for the hub's own cameras. */
function edgeOf(camera: string): string | undefined {
  const dot = camera.indexOf('.');
  return dot > 0 ? camera.slice(0, dot) : undefined;
}

function describe(reason: DeletionReason): string {
  switch (reason) {
    case 'age':
      return 'older than retain_days';
    case 'camera-size':
      return "over the camera's retain_size";
    case 'edge-size':
      return "over its edge's publishers[].record.max_size";
    case 'store-size':
      return 'over recordings.max_size';
    case 'min-free':
      return 'less free space than recordings.min_free';
  }
}
