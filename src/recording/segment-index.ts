/**
 * The recordings' index: `<root>/index.sqlite3` (better-sqlite3, WAL, synchronous=NORMAL). One row
 * per segment (inserted when it opens, updated when it closes: never per fragment) and one per gap.
 * Files are named by path relative to the root; the store makes them absolute.
 */
import { closeSync, fchmodSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { Database as DatabaseType, Statement } from 'better-sqlite3';

/**
 * better-sqlite3 is a native module, loaded here when the first index opens, never at start: a
 * server that records nothing runs (live view and all) where it could not be built or loaded.
 */
let sqlite: typeof BetterSqlite3 | undefined;
/** Loads better-sqlite3 (once); throws an error that names it and what building it needs. */
export function loadSqlite(): typeof BetterSqlite3 {
  if (!sqlite) {
    try {
      sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    } catch (err) {
      throw new Error(
        'recording needs the native module better-sqlite3, which did not load ' +
          `(${(err as Error).message.split('\n')[0]}); reinstall camrelay where its prebuilt binary can be ` +
          'downloaded, or with what building it needs (g++, make, python3): see the README, "Install"',
        { cause: err },
      );
    }
  }
  return sqlite;
}

/**
 * The index is readable by the server's user and group only, whatever the umask: made 0640 before
 * SQLite opens it (SQLite gives its -wal and -shm files the database file's mode).
 */
function createPrivate(file: string): void {
  const fd = openSync(file, 'a', 0o640);
  try {
    fchmodSync(fd, 0o640);
  } catch {
    // not its owner: the mode is the owner's choice
  } finally {
    closeSync(fd);
  }
}

/** `idle`: a camera recorded only around events (`record: {mode: events}`), between two of them. */
export type GapReason = 'offline' | 'stopped' | 'dropped' | 'disk' | 'idle' | 'unknown';

export interface SegmentRow {
  id: number;
  camera: string;
  /** Relative to the store's root: `<camera>/<YYYY-MM-DD>/<startMs>.mp4`. */
  file: string;
  startMs: number;
  endMs: number;
  bytes: number;
  width: number;
  height: number;
  codecString: string;
  /** Being written now: endMs and bytes are those of its last whole fragment. */
  open: boolean;
}

export interface GapRow {
  camera: string;
  startMs: number;
  endMs: number;
  reason: GapReason;
  detail?: string;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS segments (
  id INTEGER PRIMARY KEY,
  camera TEXT NOT NULL,
  file TEXT NOT NULL UNIQUE,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  codec TEXT NOT NULL,
  open INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS segments_camera_end ON segments (camera, end_ms);
CREATE INDEX IF NOT EXISTS segments_start ON segments (start_ms);
CREATE TABLE IF NOT EXISTS gaps (
  id INTEGER PRIMARY KEY,
  camera TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS gaps_camera_end ON gaps (camera, end_ms);
`;

interface RawSegment {
  id: number;
  camera: string;
  file: string;
  start_ms: number;
  end_ms: number;
  bytes: number;
  width: number;
  height: number;
  codec: string;
  open: number;
}

interface RawGap {
  camera: string;
  start_ms: number;
  end_ms: number;
  reason: string;
  detail: string | null;
}

const REASONS = new Set<string>(['offline', 'stopped', 'dropped', 'disk', 'idle', 'unknown']);

function segment(r: RawSegment): SegmentRow {
  return {
    id: r.id,
    camera: r.camera,
    file: r.file,
    startMs: r.start_ms,
    endMs: r.end_ms,
    bytes: r.bytes,
    width: r.width,
    height: r.height,
    codecString: r.codec,
    open: r.open !== 0,
  };
}

function gap(r: RawGap): GapRow {
  const reason = (REASONS.has(r.reason) ? r.reason : 'unknown') as GapReason;
  return {
    camera: r.camera,
    startMs: r.start_ms,
    endMs: r.end_ms,
    reason,
    ...(r.detail !== null ? { detail: r.detail } : {}),
  };
}

/** Thrown when the file is not a usable index (corrupt, another schema): the store rebuilds it. */
export class IndexCorrupt extends Error {}

export class IndexDb {
  private readonly db: DatabaseType;
  private readonly stmts: {
    insert: Statement;
    finish: Statement;
    remove: Statement;
    range: Statement;
    gaps: Statement;
    gapInsert: Statement;
    oldest: Statement;
    oldestOf: Statement;
    oldestOfEdge: Statement;
    totals: Statement;
    lastEnd: Statement;
  };

  /** Opens (creating) the index; IndexCorrupt when the file is not one. */
  constructor(readonly file: string) {
    let db: DatabaseType | undefined;
    try {
      const Database = loadSqlite();
      createPrivate(file);
      db = new Database(file, { timeout: 2000 });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new IndexCorrupt(`integrity check: ${String(check)}`);
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version !== 0 && version !== SCHEMA_VERSION) throw new IndexCorrupt(`schema version ${version}`);
      db.exec(SCHEMA);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (err) {
      db?.close();
      const code = (err as { code?: string }).code ?? '';
      if (err instanceof IndexCorrupt || code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
        throw new IndexCorrupt((err as Error).message);
      }
      throw err;
    }
    this.db = db;
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO segments (camera, file, start_ms, end_ms, bytes, width, height, codec, open)
         VALUES (@camera, @file, @startMs, @endMs, @bytes, @width, @height, @codecString, @open)`,
      ),
      finish: db.prepare('UPDATE segments SET end_ms = ?, bytes = ?, open = 0 WHERE id = ?'),
      remove: db.prepare('DELETE FROM segments WHERE id = ?'),
      range: db.prepare(
        'SELECT * FROM segments WHERE camera = ? AND end_ms > ? AND start_ms < ? ORDER BY start_ms LIMIT 100000',
      ),
      gaps: db.prepare(
        'SELECT * FROM gaps WHERE camera = ? AND end_ms > ? AND start_ms < ? ORDER BY start_ms LIMIT 100000',
      ),
      gapInsert: db.prepare(
        `INSERT INTO gaps (camera, start_ms, end_ms, reason, detail)
         VALUES (@camera, @startMs, @endMs, @reason, @detail)`,
      ),
      oldest: db.prepare('SELECT * FROM segments WHERE open = 0 ORDER BY start_ms LIMIT ?'),
      oldestOf: db.prepare('SELECT * FROM segments WHERE open = 0 AND camera = ? ORDER BY start_ms LIMIT ?'),
      // `<edge>.<camera>` ids sort between `<edge>.` and `<edge>/` ('/' follows '.').
      oldestOfEdge: db.prepare(
        'SELECT * FROM segments WHERE open = 0 AND camera >= ? AND camera < ? ORDER BY start_ms LIMIT ?',
      ),
      totals: db.prepare('SELECT camera, SUM(bytes) AS bytes FROM segments WHERE open = 0 GROUP BY camera'),
      // Gaps count: a camera an edge withdrew ends with one, written when it went.
      lastEnd: db.prepare(
        'SELECT MAX(end) AS end FROM (SELECT MAX(end_ms) AS end FROM segments WHERE camera = ? ' +
          'UNION ALL SELECT MAX(end_ms) FROM gaps WHERE camera = ?)',
      ),
    };
  }

  /** A new segment row; its id. */
  insert(row: Omit<SegmentRow, 'id'>): number {
    const result = this.stmts.insert.run({ ...row, open: row.open ? 1 : 0 });
    return Number(result.lastInsertRowid);
  }

  finish(id: number, endMs: number, bytes: number): void {
    // Down, not to the nearest: a range ending at a segment's end must not reach the next one's first picture.
    this.stmts.finish.run(Math.floor(endMs), bytes, id);
  }

  remove(id: number): void {
    this.stmts.remove.run(id);
  }

  segments(camera: string, startMs: number, endMs: number): SegmentRow[] {
    return (this.stmts.range.all(camera, startMs, endMs) as RawSegment[]).map(segment);
  }

  gaps(camera: string, startMs: number, endMs: number): GapRow[] {
    return (this.stmts.gaps.all(camera, startMs, endMs) as RawGap[]).map(gap);
  }

  addGap(row: GapRow): void {
    // Down, as a segment's end is (finish): a gap starts where the segment before it ends.
    const startMs = Math.floor(row.startMs);
    const endMs = Math.round(row.endMs);
    if (endMs <= startMs) return;
    this.stmts.gapInsert.run({
      camera: row.camera,
      startMs,
      endMs,
      reason: row.reason,
      detail: row.detail ?? null,
    });
  }

  /** Closed segments, oldest first. */
  oldest(limit: number): SegmentRow[] {
    return (this.stmts.oldest.all(limit) as RawSegment[]).map(segment);
  }

  /** The closed segments of every camera an edge publishes (`<edge>.<camera>`), oldest first. */
  oldestOfEdge(edge: string, limit: number): SegmentRow[] {
    return (this.stmts.oldestOfEdge.all(`${edge}.`, `${edge}/`, limit) as RawSegment[]).map(segment);
  }

  /** The camera's closed segments, oldest first. */
  oldestOf(camera: string, limit: number): SegmentRow[] {
    return (this.stmts.oldestOf.all(camera, limit) as RawSegment[]).map(segment);
  }

  /** Bytes of the closed segments, by camera. */
  totals(): Map<string, number> {
    const rows = this.stmts.totals.all() as { camera: string; bytes: number }[];
    return new Map(rows.map((r) => [r.camera, r.bytes]));
  }

  /** Every segment row (start-up repair, retention totals). */
  all(): SegmentRow[] {
    return (this.db.prepare('SELECT * FROM segments ORDER BY start_ms').all() as RawSegment[]).map(segment);
  }

  openRows(): SegmentRow[] {
    return (this.db.prepare('SELECT * FROM segments WHERE open = 1').all() as RawSegment[]).map(segment);
  }

  /** Where the camera's last segment ended (ms), if it has any. */
  lastEnd(camera: string): number | undefined {
    const row = this.stmts.lastEnd.get(camera, camera) as { end: number | null } | undefined;
    return row?.end ?? undefined;
  }

  cameras(): string[] {
    const rows = this.db.prepare('SELECT DISTINCT camera FROM segments').all() as { camera: string }[];
    return rows.map((r) => r.camera);
  }

  /** Gaps that end before `ms` (retention keeps the gap table to the recordings' span). */
  pruneGaps(camera: string, beforeMs: number): void {
    this.db.prepare('DELETE FROM gaps WHERE camera = ? AND end_ms <= ?').run(camera, beforeMs);
  }

  /** The database itself, for the tables others keep beside the segments (src/events' events). */
  get handle(): DatabaseType {
    return this.db;
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
