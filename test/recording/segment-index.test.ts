/**
 * The index's files are the server's user's and group's only (0640), whatever the umask.
 * The index stores whole milliseconds. A segment's end and the gap after it are rounded the same
 * way (down), so a gap starts exactly where the segment before it ended, whatever fraction of a
 * millisecond the last picture ended at.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { IndexDb } from '../../src/recording/segment-index.js';

describe('recordings index: whole milliseconds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-index-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('rounds a segment end and the gap that starts at it down, to the same millisecond', () => {
    const db = new IndexDb(join(dir, 'index.sqlite3'));
    try {
      for (const [i, end] of [1000.4, 2000.5, 3000.9].entries()) {
        const start = i * 10_000;
        const id = db.insert({
          camera: 'cam',
          file: `cam/1970-01-01/${start}.mp4`,
          startMs: start,
          endMs: start,
          bytes: 10,
          width: 320,
          height: 240,
          codecString: 'avc1.42c01e',
          open: true,
        });
        db.finish(id, start + end, 100);
        db.addGap({ camera: 'cam', startMs: start + end, endMs: start + 5000, reason: 'offline', detail: 'gone' });
      }
      const segments = db.segments('cam', 0, 100_000);
      const gaps = db.gaps('cam', 0, 100_000);
      assert.equal(segments.length, 3);
      assert.deepEqual(
        gaps.map((g) => g.startMs),
        segments.map((s) => s.endMs),
      );
      assert.deepEqual(
        segments.map((s) => s.endMs),
        [1000, 12000, 23000],
      );
    } finally {
      db.close();
    }
  });

  it('writes no gap that is empty', () => {
    const db = new IndexDb(join(dir, 'empty.sqlite3'));
    try {
      db.addGap({ camera: 'cam', startMs: 5000, endMs: 5000, reason: 'offline' });
      db.addGap({ camera: 'cam', startMs: 5000.2, endMs: 5000.1, reason: 'offline' });
      // Not empty, but empty in whole milliseconds.
      db.addGap({ camera: 'cam', startMs: 6000.2, endMs: 6000.4, reason: 'offline' });
      assert.equal(db.gaps('cam', 0, 10_000).length, 0);
    } finally {
      db.close();
    }
  });
});

describe('recordings index: its files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-index-mode-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('makes index.sqlite3 and its -wal and -shm 0640 under umask 022, and tightens an older 0644 one', () => {
    const mode = (file: string): string => (statSync(file).mode & 0o777).toString(8);
    const previous = process.umask(0o022);
    try {
      const file = join(dir, 'index.sqlite3');
      const db = new IndexDb(file);
      try {
        db.addGap({ camera: 'cam', startMs: 0, endMs: 1000, reason: 'offline' });
        for (const ext of ['', '-wal', '-shm']) {
          assert.ok(existsSync(file + ext), `${file}${ext} exists while open`);
          assert.equal(mode(file + ext), '640', `index.sqlite3${ext}`);
        }
      } finally {
        db.close();
      }
      const older = join(dir, 'older.sqlite3');
      writeFileSync(older, '', { mode: 0o644 });
      new IndexDb(older).close();
      assert.equal(mode(older), '640');
    } finally {
      process.umask(previous);
    }
  });
});
