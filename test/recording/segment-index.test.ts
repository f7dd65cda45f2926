/**
 * The index stores whole milliseconds. A segment's end and the gap after it are rounded the same
 * way (down), so a gap starts exactly where the segment before it ended, whatever fraction of a
 * millisecond the last picture ended at.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
