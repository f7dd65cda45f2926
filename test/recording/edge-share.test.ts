/**
 * Edges' share of the store. A recorded edge that sends far more than it should (keyframes padded
 * with a large SEI) must not push the hub's own cameras' recordings out: under store-wide pressure
 * (max_size, min_free) the edge furthest over its share loses its oldest first, and an edge's own
 * max_size (publishers[].record.max_size) holds whatever the store's state.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RecordingsConfig } from '../../src/recording/config.js';
import { Retention } from '../../src/recording/retention.js';
import { IndexDb } from '../../src/recording/segment-index.js';
import { quietLogger } from '../support/index.js';

const MB = 1_000_000;
const T = Date.UTC(2026, 11, 1, 8, 0, 0);
const dir = mkdtempSync(join(tmpdir(), 'camrelay-edge-share-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A store with `rows` (camera, start offset in s, MB) as closed segments: files (empty) and index rows. */
function store(name: string, rows: [string, number, number][]): { root: string; db: IndexDb } {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  const db = new IndexDb(join(root, 'index.sqlite3'));
  for (const [camera, at, mb] of rows) {
    const startMs = T + at * 1000;
    const file = join(camera, '2026-12-01', `${startMs}.mp4`);
    mkdirSync(join(root, camera, '2026-12-01'), { recursive: true });
    writeFileSync(join(root, file), '');
    db.insert({
      camera,
      file,
      startMs,
      endMs: startMs + 1000,
      bytes: mb * MB,
      width: 320,
      height: 240,
      codecString: 'avc1.42c00d',
      open: false,
    });
  }
  return { root, db };
}

function retention(
  root: string,
  db: IndexDb,
  config: Partial<RecordingsConfig>,
  cameras: Map<string, { retainDays: number; edgeMaxBytes?: number }> = new Map(),
  space = { total: 1000 * MB, free: 900 * MB },
): Retention {
  return new Retention({
    root,
    config: {
      path: root,
      minFree: { bytes: 0 },
      segmentDurationMs: 60_000,
      defaultRetainDays: 3650,
      edgeSharePercent: 25,
      ...config,
    },
    cameras,
    db: () => db,
    openBytes: () => new Map(),
    openIds: () => new Set(),
    now: () => T + 3_600_000,
    log: quietLogger(),
    space: async () => space,
  });
}

const left = (db: IndexDb, camera: string): number => db.segments(camera, 0, T + 86_400_000).length;

describe("edges' share of the store", () => {
  it('over max_size, takes from the edge over its share, not the hub camera recorded before it', async () => {
    // The hub's camera: 10 s of 1 MB, the oldest. Then an edge's padded pictures: 54 of 1 MB.
    const rows: [string, number, number][] = [];
    for (let i = 0; i < 10; i++) rows.push(['door', i, 1]);
    for (let i = 0; i < 54; i++) rows.push(['shed.cam', 10 + i, 1]);
    const { root, db } = store('max-size', rows);
    const r = retention(root, db, { maxBytes: 30 * MB });
    await r.run();
    assert.equal(left(db, 'door'), 10, "the hub camera's recordings all stay");
    assert.equal(left(db, 'shed.cam'), 20, 'the edge keeps what fits (its newest)');
    assert.equal(db.segments('shed.cam', 0, T + 86_400_000)[0]!.startMs, T + 44_000, 'oldest first');
    assert.equal(r.deletions['store-size'], 34);
    db.close();
  });

  it('under min_free, takes from the edge over its share first as well', async () => {
    const rows: [string, number, number][] = [];
    for (let i = 0; i < 10; i++) rows.push(['door', i, 1]);
    for (let i = 0; i < 40; i++) rows.push(['shed.cam', 10 + i, 1]);
    const { root, db } = store('min-free', rows);
    // 100 MB disk, 10 MB must stay free, 5 MB are: 5 MB to go. The edge's share: 25% of 90 MB.
    const r = retention(root, db, { minFree: { bytes: 10 * MB } }, new Map(), { total: 100 * MB, free: 5 * MB });
    await r.run();
    assert.equal(left(db, 'door'), 10);
    assert.equal(left(db, 'shed.cam'), 35);
    assert.equal(r.freeBytes, 10 * MB);
    db.close();
  });

  it('when no edge is over its share, the oldest go, whoever recorded them', async () => {
    const rows: [string, number, number][] = [];
    for (let i = 0; i < 20; i++) rows.push(['door', i, 1]);
    for (let i = 0; i < 5; i++) rows.push(['shed.cam', 20 + i, 1]);
    const { root, db } = store('fair', rows);
    await retention(root, db, { maxBytes: 20 * MB }).run();
    assert.equal(left(db, 'door'), 15, 'the hub camera is over its part: its oldest go');
    assert.equal(left(db, 'shed.cam'), 5);
    db.close();
  });

  it("holds an edge's own max_size for all its cameras together, with room to spare in the store", async () => {
    const rows: [string, number, number][] = [];
    for (let i = 0; i < 6; i++) rows.push(['yard.a', i * 2, 1], ['yard.b', i * 2 + 1, 1], ['yardx.c', i, 1]);
    const { root, db } = store('edge-max', rows);
    const cameras = new Map([
      ['yard.a', { retainDays: 3650, edgeMaxBytes: 5 * MB }],
      ['yard.b', { retainDays: 3650, edgeMaxBytes: 5 * MB }],
    ]);
    const r = retention(root, db, {}, cameras);
    await r.run();
    assert.equal(left(db, 'yard.a') + left(db, 'yard.b'), 5, 'the two cameras of yard: 5 MB together');
    assert.equal(left(db, 'yard.a'), 2, 'oldest of the edge first, whichever camera');
    assert.equal(left(db, 'yardx.c'), 6, 'another edge whose name starts alike is not touched');
    assert.equal(r.deletions['edge-size'], 7);
    db.close();
  });
});
