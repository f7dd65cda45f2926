// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * Retention: segments older than the camera's retain_days are deleted (cameras no longer configured
 * keep theirs until the default retain_days), judged by an injected clock; with tiny size limits a
 * live recording keeps the store under recordings.max_size (plus the segment being written) and each
 * camera under its retain_size, deleting the oldest first and never the open segment.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CameraRegistry } from '../../src/hub/registry.js';
import { RecordingStore, type RecordedCamera } from '../../src/recording/store.js';
import { locateFfmpeg } from '../../src/ffmpeg/locate.js';
import { quietLogger, sleep, startServer } from '../support/index.js';
import { checkStore, indexRows, makeH264Clip, segmentFiles, writeConfig } from './helpers.js';

const DAY = 86_400_000;

describe('recording retention', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-rec-retention-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('deletes by age, per camera and for removed cameras, by an injected clock', async () => {
    const root = join(dir, 'aged');
    const sample = join(dir, 'sample.mp4');
    // A fragmented MP4 as a segment is: two seconds, one fragment per keyframe.
    execFileSync(locateFfmpeg().path, [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10'],
      ...['-t', '2', '-c:v', 'libx264', '-bf', '0', '-g', '10', '-movflags', 'frag_keyframe+empty_moov', sample],
    ]);
    let now = Date.UTC(2026, 5, 30, 12);
    const place = (camera: string, daysAgo: number): string => {
      const start = now - daysAgo * DAY;
      const file = join(camera, new Date(start).toISOString().slice(0, 10), `${start}.mp4`);
      mkdirSync(join(root, file, '..'), { recursive: true });
      copyFileSync(sample, join(root, file));
      return file;
    };
    const a20 = place('a', 20);
    const a10 = place('a', 10);
    const a1 = place('a', 1);
    const gone20 = place('gone', 20);
    const gone10 = place('gone', 10);
    const cameras: RecordedCamera[] = [{ id: 'a', record: { retainDays: 7 } }];
    const store = await RecordingStore.open({
      config: { path: root, minFree: { bytes: 0 }, segmentDurationMs: 60_000, defaultRetainDays: 14 },
      cameras,
      registry: new CameraRegistry(),
      log: quietLogger(),
      now: () => now,
    });
    try {
      // At start: the index was rebuilt from the files, then retention ran.
      assert.deepEqual(segmentFiles(root), [a1, gone10].sort());
      assert.ok(!existsSync(join(root, a20)) && !existsSync(join(root, a10)) && !existsSync(join(root, gone20)));
      // A camera no longer configured is still listed, with what it keeps.
      assert.deepEqual(store.cameras(), ['a', 'gone']);
      assert.equal(store.segments('gone', 0, now).length, 1);
      assert.equal(store.status('gone'), undefined, 'not recorded now');
      now += 5 * DAY;
      await store.enforceRetention();
      assert.deepEqual(segmentFiles(root), [a1], 'the removed camera ages out at the default retain_days');
      assert.deepEqual(store.cameras(), ['a']);
    } finally {
      await store.close();
    }
    assert.deepEqual(
      indexRows(root).map((r) => r.file),
      [a1],
    );
  });

  it("keeps what events' clips cover for events_retain_days, longer than retain_days", async () => {
    const root = join(dir, 'events');
    const sample = join(dir, 'sample-events.mp4');
    execFileSync(locateFfmpeg().path, [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10'],
      ...['-t', '2', '-c:v', 'libx264', '-bf', '0', '-g', '10', '-movflags', 'frag_keyframe+empty_moov', sample],
    ]);
    const later = Date.UTC(2026, 5, 30, 12);
    const place = (daysAgo: number): { file: string; start: number } => {
      const start = later - daysAgo * DAY;
      const file = join('b', new Date(start).toISOString().slice(0, 10), `${start}.mp4`);
      mkdirSync(join(root, file, '..'), { recursive: true });
      copyFileSync(sample, join(root, file));
      return { file, start };
    };
    const [b1, b10, b20, b40] = [place(1), place(10), place(20), place(40)];
    // Opened long before: nothing is old yet.
    let now = later - 100 * DAY;
    const store = await RecordingStore.open({
      config: { path: root, minFree: { bytes: 0 }, segmentDurationMs: 60_000, defaultRetainDays: 14 },
      cameras: [{ id: 'b', record: { retainDays: 7, eventsRetainDays: 30 } }],
      registry: new CameraRegistry(),
      log: quietLogger(),
      now: () => now,
    });
    try {
      // Events whose clips cover the 10- and the 40-day-old segments.
      const spans = [b10, b40].map((s) => ({ startMs: s.start - 1000, endMs: s.start + 1000 }));
      store.keepForEvents((camera, from, to) =>
        camera === 'b' ? spans.filter((k) => k.endMs > from && k.startMs < to) : [],
      );
      now = later;
      await store.enforceRetention();
      assert.deepEqual(segmentFiles(root), [b1.file, b10.file].sort(), 'b20: no event; b40: older than 30 days');
      assert.ok(!existsSync(join(root, b20.file)) && !existsSync(join(root, b40.file)));
    } finally {
      await store.close();
    }
  });

  it('keeps a live store under max_size and each camera under its retain_size, oldest first', async () => {
    const root = join(dir, 'sized');
    makeH264Clip(join(dir, 'clip.mp4'), { seconds: 20, size: '480x360', gop: 10 });
    const maxSize = 500_000;
    const retainSize = 300_000;
    const config = writeConfig(
      join(dir, 'sized.yaml'),
      `recordings: { path: ${root}, segment_duration: 2, max_size: 500kB, min_free: 0 }\n` +
        `cameras:\n` +
        `  - { id: big, source: "file:${join(dir, 'clip.mp4')}", record: true }\n` +
        `  - { id: small, source: "file:${join(dir, 'clip.mp4')}", record: { retain_size: 300kB } }\n`,
    );
    const ts = await startServer([], config);
    const seen = new Map<string, string[]>([
      ['big', []],
      ['small', []],
    ]);
    let largest = 0;
    let deletedBig = false;
    try {
      const until = Date.now() + 20_000;
      // Four segments of 'small' (its limit holds about one closed one): it has deleted oldest first, twice.
      while (Date.now() < until && !(deletedBig && seen.get('small')!.length >= 4)) {
        await sleep(250);
        const files = segmentFiles(root);
        let total = 0;
        const perCamera = new Map<string, number>();
        for (const f of files) {
          let size = 0;
          try {
            size = statSync(join(root, f)).size;
          } catch {
            continue; // deleted meanwhile
          }
          total += size;
          const camera = f.split('/')[0]!;
          perCamera.set(camera, (perCamera.get(camera) ?? 0) + size);
          largest = Math.max(largest, size);
          const list = seen.get(camera)!;
          if (!list.includes(f)) list.push(f);
        }
        // Limits hold to within the segments being written (one per camera) and one more.
        assert.ok(total <= maxSize + 3 * largest, `store ${total} bytes (largest segment ${largest})`);
        assert.ok((perCamera.get('small') ?? 0) <= retainSize + 2 * largest, `small: ${perCamera.get('small')} bytes`);
        // What is left of each camera is its newest segments: deleted oldest first.
        for (const [camera, list] of seen) {
          const left = files.filter((f) => f.startsWith(`${camera}/`));
          const sorted = [...list].sort();
          assert.deepEqual(left, sorted.slice(sorted.length - left.length), `${camera}: the newest are kept`);
          if (camera === 'big' && left.length < list.length) deletedBig = true;
        }
      }
      assert.ok(deletedBig, 'the store limit deleted segments');
      assert.ok(seen.get('small')!.length > segmentFiles(root).filter((f) => f.startsWith('small/')).length);
      const metrics = await (await fetch(`${ts.url}/metrics`)).text();
      assert.match(metrics, /camrelay_recording_deletions_total\{reason="store-size"\} [1-9]/);
      assert.match(metrics, /camrelay_recording_deletions_total\{reason="camera-size"\} [1-9]/);
    } finally {
      await ts.close();
    }
    await checkStore(root);
  });
});
