/**
 * recordings.min_free on a real 4 MB tmpfs (needs root: it mounts one; CI must run it): retention
 * deletes the oldest segments to keep that much of the file system free, so recording goes on
 * without ever filling the disk, while a file that is not the store's (here a filler) is left alone.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireInCi, skipOutsideCi, sleep, startServer } from '../../support/index.js';
import { checkStore, makeH264Clip, segmentFiles, writeConfig } from './helpers.js';

const missing = process.getuid?.() === 0 ? undefined : 'mounting a tmpfs needs root';
const skip = skipOutsideCi(missing);

describe('recording and min_free', { skip }, () => {
  let dir: string;
  let mnt: string;
  let mounted = false;

  before(() => {
    requireInCi(missing);
    dir = mkdtempSync(join(tmpdir(), 'camrelay-rec-free-'));
    mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
    mounted = true;
    makeH264Clip(join(dir, 'clip.mp4'), { seconds: 40, size: '480x360', gop: 10 });
  });
  after(() => {
    if (mounted) execFileSync('umount', ['-l', mnt]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps min_free free by deleting the oldest segments, never filling the disk', async () => {
    const root = join(mnt, 'store');
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(1_500_000, 1));
    const config = writeConfig(
      join(dir, 'free.yaml'),
      `recordings: { path: ${root}, segment_duration: 2, min_free: 1.5MB }\n` +
        `cameras:\n  - { id: cam, source: "file:${join(dir, 'clip.mp4')}", record: true }\n`,
    );
    const ts = await startServer([], config);
    const seen = new Set<string>();
    let leastFree = Infinity;
    try {
      const until = Date.now() + 25_000;
      let deleted = false;
      while (Date.now() < until && !(deleted && seen.size >= 8)) {
        await sleep(250);
        const s = statfsSync(mnt);
        leastFree = Math.min(leastFree, s.bavail * s.bsize);
        const files = segmentFiles(root);
        for (const f of files) seen.add(f);
        deleted = files.length < seen.size;
        const status = ts.server.recordings!.status('cam')!;
        assert.notEqual(status.state, 'error', status.error);
      }
      assert.ok(deleted, 'retention deleted segments to keep space free');
      const metrics = await (await fetch(`${ts.url}/metrics`)).text();
      assert.match(metrics, /camrelay_recording_deletions_total\{reason="min-free"\} [1-9]/);
      assert.doesNotMatch(metrics, /camrelay_recording_errors_total\{/);
      // Free space went below min_free by at most the segments being written meanwhile, never to nothing.
      assert.ok(leastFree > 500_000, `least free: ${leastFree} bytes`);
      const left = segmentFiles(root);
      const all = [...seen].sort();
      assert.deepEqual(left, all.slice(all.length - left.length), 'the oldest were deleted');
    } finally {
      await ts.close();
    }
    assert.ok(existsSync(join(mnt, 'filler')), 'other files are not the store’s to delete');
    await checkStore(root);
  });
});
