// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * Disk problems, on a real 4 MB tmpfs (needs root: it mounts one; CI must run these): a full disk
 * and a read-only file system stop recording with one clear log line, a count in /metrics and the
 * state 'error' in the API, while live viewers go on being served; recording resumes by itself
 * once space is freed or the file system is writable again, and every file left plays.
 * recordings.min_free on the same tmpfs: retention deletes the oldest segments to keep that much of
 * the file system free, so recording goes on without ever filling the disk, while a file that is not
 * the store's (here a filler) is left alone.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { buildServer, type Server } from '../../src/server/app.js';
import { requireInCi, skipOutsideCi, sleep, V1Client, waitFor, wsUrl } from '../support/index.js';
import { checkStore, gapRows, indexRows, makeH264Clip, segmentFiles, writeConfig } from './helpers.js';

const missing = process.getuid?.() === 0 ? undefined : 'mounting a tmpfs needs root';
const skip = skipOutsideCi(missing);

type Line = Record<string, unknown> & { msg: string };

async function start(config: string): Promise<{ server: Server; url: string; logs: Line[] }> {
  const logs: Line[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Line) });
  const server = await buildServer(await loadConfig({ config, host: '127.0.0.1', port: 0 }), log);
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const address = server.app.server.address();
  if (!address || typeof address !== 'object') throw new Error('no address');
  return { server, url: `http://127.0.0.1:${address.port}`, logs };
}

async function recordingOf(url: string): Promise<{ state: string; error?: string }> {
  const body = (await (await fetch(`${url}/api/cameras/cam`)).json()) as {
    recording: { state: string; error?: string };
  };
  return body.recording;
}

describe('recording and disk problems', { skip }, () => {
  let dir: string;
  let mnt: string;
  let mounted = false;

  before(() => {
    requireInCi(missing);
    dir = mkdtempSync(join(tmpdir(), 'camrelay-rec-disk-'));
    mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
    mounted = true;
    makeH264Clip(join(dir, 'clip.mp4'), { seconds: 20, size: '640x480', gop: 10 });
  });
  after(() => {
    if (mounted) execFileSync('umount', ['-l', mnt]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a full disk: logged once, counted, live viewing goes on, recording resumes once space is freed', async () => {
    const root = join(mnt, 'store');
    const config = writeConfig(
      join(dir, 'full.yaml'),
      `recordings: { path: ${root}, segment_duration: 2, min_free: 0 }\n` +
        `cameras:\n  - { id: cam, source: "file:${join(dir, 'clip.mp4')}", record: true }\n`,
    );
    // Most of the disk taken by something else: a few hundred kB are left for recording.
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(3_500_000, 1));
    const { server, url, logs } = await start(config);
    // A live viewer from the start: it goes on getting frames once recording has stopped.
    const viewer = await V1Client.open(wsUrl(url, 'cam', '?codec=h264'));
    try {
      await waitFor(async () => (await recordingOf(url)).state === 'error', 30_000, 'the recording error');
      const status = await recordingOf(url);
      assert.match(status.error ?? '', /disk is full/);
      try {
        await viewer.waitFrames(viewer.frames.length + 20, 20_000);
      } finally {
        viewer.close();
      }
      const lines = logs.filter((l) => /recording stopped: the disk is full/.test(l.msg));
      assert.equal(lines.length, 1, 'one log line for the problem');
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /camrelay_recording_errors_total\{camera="cam",reason="disk-full"\} [1-9]/);
      assert.match(metrics, /camrelay_recording_state\{camera="cam",state="error"\} 1/);

      rmSync(join(mnt, 'filler'));
      const before = indexRows(root).length;
      await waitFor(async () => (await recordingOf(url)).state === 'recording', 40_000, 'recording again');
      await waitFor(() => indexRows(root).length > before + 1, 20_000, 'new segments');
      assert.ok(logs.some((l) => l.msg === 'recording resumed'));
    } finally {
      viewer.close();
      await server.close();
    }
    await checkStore(root);
    assert.ok(
      gapRows(root).some((g) => g.reason === 'disk'),
      'the time lost is a gap "disk"',
    );
  });

  it('a read-only file system at start: an error, then recording once it is writable', async () => {
    const root = join(mnt, 'store');
    const config = writeConfig(
      join(dir, 'ro.yaml'),
      `recordings: { path: ${root}, segment_duration: 2, min_free: 0, max_size: 2MB }\n` +
        `cameras:\n  - { id: cam, source: "file:${join(dir, 'clip.mp4')}", record: true }\n`,
    );
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    let ro = true;
    const { server, url, logs } = await start(config);
    try {
      await waitFor(async () => (await recordingOf(url)).state === 'error', 30_000, 'the recording error');
      assert.match((await recordingOf(url)).error ?? '', /read-only/);
      assert.ok(
        logs.some((l) => /read-only/.test(l.msg)),
        'logged',
      );
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /camrelay_recording_errors_total\{[^}]*reason="read-only"\} [1-9]/);
      const viewer = await V1Client.open(wsUrl(url, 'cam', '?codec=h264'));
      try {
        await viewer.waitFrames(20, 20_000);
      } finally {
        viewer.close();
      }
      execFileSync('mount', ['-o', 'remount,rw', mnt]);
      ro = false;
      await waitFor(async () => (await recordingOf(url)).state === 'recording', 40_000, 'recording again');
    } finally {
      if (ro) execFileSync('mount', ['-o', 'remount,rw', mnt]);
      await server.close();
    }
    await checkStore(root);
  });

  it('a folder removed while recording: an error until it is back, then recording with a rebuilt index', async () => {
    const root = join(mnt, 'gone');
    const config = writeConfig(
      join(dir, 'gone.yaml'),
      `recordings: { path: ${root}, segment_duration: 2, min_free: 0, max_size: 2MB }\n` +
        `cameras:\n  - { id: cam, source: "file:${join(dir, 'clip.mp4')}", record: true }\n`,
    );
    const { server, url, logs } = await start(config);
    try {
      await waitFor(async () => (await recordingOf(url)).state === 'recording', 30_000, 'recording');
      // A live viewer: it goes on getting frames once recording has stopped.
      const viewer = await V1Client.open(wsUrl(url, 'cam', '?codec=h264'));
      try {
        rmSync(root, { recursive: true, force: true });
        await waitFor(async () => (await recordingOf(url)).state === 'error', 30_000, 'the recording error');
        assert.match((await recordingOf(url)).error ?? '', /gone/);
        assert.equal(logs.filter((l) => /recording stopped: the recordings folder is gone/.test(l.msg)).length, 1);
        await viewer.waitFrames(viewer.frames.length + 20, 20_000);
      } finally {
        viewer.close();
      }
      // Mounted again (here: made again): recording resumes, listed in an index of the new folder.
      mkdirSync(root);
      await waitFor(async () => (await recordingOf(url)).state === 'recording', 40_000, 'recording again');
      // A segment closed and the next one begun, both in the new index.
      await waitFor(
        () => {
          const segments = server.recordings!.segments('cam', 0, Date.now() + 1000);
          return segments.length >= 2 && segments.some((s) => !s.open);
        },
        20_000,
        'segments in the new index',
      );
      assert.ok(indexRows(root).length >= 2);
    } finally {
      await server.close();
    }
    await checkStore(root);
  });

  it('keeps min_free free by deleting the oldest segments, never filling the disk', async () => {
    // What the tests before left on the tmpfs goes: the file system holds only this store and a filler.
    for (const f of ['store', 'gone']) rmSync(join(mnt, f), { recursive: true, force: true });
    const root = join(mnt, 'free');
    // 4 MB, less 2 MB of filler, less min_free 1.5 MB: room for two or three segments before retention deletes.
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(2_000_000, 1));
    const config = writeConfig(
      join(dir, 'free.yaml'),
      `recordings: { path: ${root}, segment_duration: 2, min_free: 1.5MB }\n` +
        `cameras:\n  - { id: cam, source: "file:${join(dir, 'clip.mp4')}", record: true }\n`,
    );
    const { server, url } = await start(config);
    const seen = new Set<string>();
    let leastFree = Infinity;
    try {
      const until = Date.now() + 25_000;
      let deleted = false;
      while (Date.now() < until && !(deleted && seen.size >= 4)) {
        await sleep(250);
        const s = statfsSync(mnt);
        leastFree = Math.min(leastFree, s.bavail * s.bsize);
        const files = segmentFiles(root);
        for (const f of files) seen.add(f);
        deleted = files.length < seen.size;
        const status = server.recordings!.status('cam')!;
        assert.notEqual(status.state, 'error', status.error);
      }
      assert.ok(deleted, 'retention deleted segments to keep space free');
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /camrelay_recording_deletions_total\{reason="min-free"\} [1-9]/);
      assert.doesNotMatch(metrics, /camrelay_recording_errors_total\{/);
      // Free space went below min_free by at most the segments being written meanwhile, never to nothing.
      assert.ok(leastFree > 500_000, `least free: ${leastFree} bytes`);
      const left = segmentFiles(root);
      const all = [...seen].sort();
      assert.deepEqual(left, all.slice(all.length - left.length), 'the oldest were deleted');
    } finally {
      await server.close();
    }
    assert.ok(existsSync(join(mnt, 'filler')), 'other files are not the store’s to delete');
    await checkStore(root);
  });
});
