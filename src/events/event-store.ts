/**
 * Events in the recordings' index (`<root>/index.sqlite3`, src/recording/segment-index.ts): a table
 * of their own beside the segments, so that an event and the footage it covers live and go
 * together. A row is written when the event starts, updated as it grows (its last-seen time at
 * most every few seconds) and when it ends; a row still open at start-up was open at a crash and
 * is closed with its last-seen time. The snapshot is a column of its row (bounded in size): it
 * goes when the event goes.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { MotionEvent } from './event.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  camera TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER,
  last_seen_ms INTEGER NOT NULL,
  score REAL NOT NULL,
  zones TEXT NOT NULL DEFAULT '[]',
  pre_roll_ms INTEGER NOT NULL DEFAULT 0,
  post_roll_ms INTEGER NOT NULL DEFAULT 0,
  snapshot BLOB
);
CREATE INDEX IF NOT EXISTS events_start ON events (start_ms);
CREATE INDEX IF NOT EXISTS events_camera_start ON events (camera, start_ms);
`;

/** The largest snapshot kept (a 4K JPEG is well under it). */
export const MAX_SNAPSHOT_BYTES = 4 * 1024 * 1024;

interface RawEvent {
  id: number;
  camera: string;
  start_ms: number;
  end_ms: number | null;
  last_seen_ms: number;
  score: number;
  zones: string;
  pre_roll_ms: number;
  post_roll_ms: number;
  has_snapshot: number;
}

/** A stored event: the event, and the roll its clip was meant to have. */
export interface StoredEvent extends MotionEvent {
  preRollMs: number;
  postRollMs: number;
}

const COLUMNS =
  'id, camera, start_ms, end_ms, last_seen_ms, score, zones, pre_roll_ms, post_roll_ms, snapshot IS NOT NULL AS has_snapshot';

function zonesOf(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((z): z is string => typeof z === 'string') : [];
  } catch {
    return [];
  }
}

function row(r: RawEvent): StoredEvent {
  return {
    id: r.id,
    camera: r.camera,
    start: r.start_ms,
    end: r.end_ms,
    lastSeen: r.last_seen_ms,
    score: r.score,
    zones: zonesOf(r.zones),
    hasSnapshot: r.has_snapshot !== 0,
    preRollMs: r.pre_roll_ms,
    postRollMs: r.post_roll_ms,
  };
}

export interface EventQuery {
  /** Only these cameras (undefined: every camera). */
  cameras?: readonly string[] | undefined;
  /** Events overlapping [start, end) (ms). */
  start: number;
  end: number;
  limit: number;
}

interface Statements {
  insert: Statement;
  update: Statement;
  snapshot: Statement;
  getSnapshot: Statement;
  get: Statement;
  closeOpen: Statement;
  openRows: Statement;
  spans: Statement;
  prune: Statement;
  cameras: Statement;
}

export class EventStore {
  private prepared: { db: Database; stmts: Statements } | undefined;

  /** `db`: the index's database, as it is now (the store may open it again). */
  constructor(private readonly db: () => Database) {}

  private stmts(): Statements {
    const db = this.db();
    if (this.prepared?.db === db) return this.prepared.stmts;
    db.exec(SCHEMA);
    const stmts: Statements = {
      insert: db.prepare(
        `INSERT INTO events (camera, start_ms, end_ms, last_seen_ms, score, zones, pre_roll_ms, post_roll_ms)
         VALUES (@camera, @start, @end, @lastSeen, @score, @zones, @preRollMs, @postRollMs)`,
      ),
      update: db.prepare(
        'UPDATE events SET end_ms = @end, last_seen_ms = @lastSeen, score = @score, zones = @zones WHERE id = @id',
      ),
      snapshot: db.prepare('UPDATE events SET snapshot = ? WHERE id = ?'),
      getSnapshot: db.prepare('SELECT snapshot FROM events WHERE id = ?'),
      get: db.prepare(`SELECT ${COLUMNS} FROM events WHERE id = ?`),
      openRows: db.prepare(`SELECT ${COLUMNS} FROM events WHERE end_ms IS NULL`),
      closeOpen: db.prepare('UPDATE events SET end_ms = last_seen_ms WHERE id = ?'),
      spans: db.prepare(
        `SELECT start_ms - pre_roll_ms AS start, COALESCE(end_ms, last_seen_ms) + post_roll_ms AS end
         FROM events WHERE camera = ? AND COALESCE(end_ms, last_seen_ms) + post_roll_ms > ? AND start_ms - pre_roll_ms < ?
         ORDER BY start_ms LIMIT 100000`,
      ),
      prune: db.prepare('DELETE FROM events WHERE camera = ? AND end_ms IS NOT NULL AND end_ms < ?'),
      cameras: db.prepare('SELECT DISTINCT camera FROM events'),
    };
    this.prepared = { db, stmts };
    return stmts;
  }

  insert(e: Omit<StoredEvent, 'id' | 'hasSnapshot'>): number {
    const result = this.stmts().insert.run({
      camera: e.camera,
      start: Math.floor(e.start),
      end: e.end === null ? null : Math.ceil(e.end),
      lastSeen: Math.ceil(e.lastSeen),
      score: e.score,
      zones: JSON.stringify(e.zones),
      preRollMs: e.preRollMs,
      postRollMs: e.postRollMs,
    });
    return Number(result.lastInsertRowid);
  }

  update(e: Pick<MotionEvent, 'id' | 'end' | 'lastSeen' | 'score' | 'zones'>): void {
    this.stmts().update.run({
      id: e.id,
      end: e.end === null ? null : Math.ceil(e.end),
      lastSeen: Math.ceil(e.lastSeen),
      score: e.score,
      zones: JSON.stringify(e.zones),
    });
  }

  /** Stores the event's snapshot (a bigger one than MAX_SNAPSHOT_BYTES is refused: false). */
  setSnapshot(id: number, jpeg: Buffer): boolean {
    if (jpeg.length > MAX_SNAPSHOT_BYTES) return false;
    this.stmts().snapshot.run(jpeg, id);
    return true;
  }

  snapshot(id: number): Buffer | undefined {
    const r = this.stmts().getSnapshot.get(id) as { snapshot: Buffer | null } | undefined;
    return r?.snapshot ?? undefined;
  }

  get(id: number): StoredEvent | undefined {
    const r = this.stmts().get.get(id) as RawEvent | undefined;
    return r && row(r);
  }

  /** Events overlapping the range (an open one reaches to its last-seen time), newest first. */
  list(q: EventQuery): StoredEvent[] {
    this.stmts();
    const cameras = q.cameras;
    if (cameras && cameras.length === 0) return [];
    const where = cameras ? ` AND camera IN (${cameras.map(() => '?').join(', ')})` : '';
    const sql =
      `SELECT ${COLUMNS} FROM events WHERE start_ms < ? AND COALESCE(end_ms, last_seen_ms) >= ?${where} ` +
      'ORDER BY start_ms DESC, id DESC LIMIT ?';
    const rows = this.db()
      .prepare(sql)
      .all(q.end, q.start, ...(cameras ?? []), q.limit) as RawEvent[];
    return rows.map(row);
  }

  /** Closes every event a crash left open, with its last-seen time; the events closed. */
  closeOpen(): StoredEvent[] {
    const s = this.stmts();
    const open = (s.openRows.all() as RawEvent[]).map(row);
    for (const e of open) s.closeOpen.run(e.id);
    return open.map((e) => ({ ...e, end: e.lastSeen }));
  }

  /** The ranges the camera's events' clips cover (pre- and post-roll included) overlapping [from, to). */
  spans(camera: string, from: number, to: number): { startMs: number; endMs: number }[] {
    return (this.stmts().spans.all(camera, from, to) as { start: number; end: number }[]).map((s) => ({
      startMs: s.start,
      endMs: s.end,
    }));
  }

  /** Deletes the camera's events that ended before `beforeMs`; how many. */
  prune(camera: string, beforeMs: number): number {
    return this.stmts().prune.run(camera, beforeMs).changes;
  }

  /** Every camera with events stored. */
  cameras(): string[] {
    return (this.stmts().cameras.all() as { camera: string }[]).map((r) => r.camera);
  }
}
