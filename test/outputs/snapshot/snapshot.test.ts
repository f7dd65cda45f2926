import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CameraInfo } from '../../../src/hub/camera-info.js';
import { decodeJpeg, ffmpegMjpegFile, startServer, waitFor, type TestServer } from '../../support/index.js';

const dir = mkdtempSync(join(tmpdir(), 'camrelay-snapshot-'));
// Missing until the last test writes it: the camera fails, then comes back.
const clip = join(dir, 'later.mjpeg');

async function snapshot(url: string): Promise<{ status: number; type: string | null; body: Buffer }> {
  // Far below snapshot_timeout (60 s): an answer that waited for it would abort here.
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}

describe('a failing camera', () => {
  let t: TestServer;
  let snapshotUrl: string;
  const info = async (): Promise<CameraInfo> => (await (await fetch(`${t.url}/api/cameras/gone`)).json()) as CameraInfo;

  before(async () => {
    const cfg = join(dir, 'camrelay.yaml');
    const camera = `{ id: gone, source: "file:${clip}?fps=10", snapshot_timeout: 60, idle_grace: 0.2 }`;
    writeFileSync(cfg, `cameras:\n  - ${camera}\n`);
    t = await startServer([], cfg);
    snapshotUrl = `${t.url}/api/cameras/gone/snapshot.jpg`;
  });
  after(() => t.close());

  it('answers a snapshot with NO SIGNAL (503) as soon as it fails, not after snapshot_timeout', async () => {
    const before = await info();
    assert.equal(before.lastError, null, 'no failure before the first start');
    assert.equal(before.lastErrorAt, null);
    const res = await snapshot(snapshotUrl);
    assert.equal(res.status, 503);
    assert.equal(res.type, 'image/jpeg');
    assert.ok(decodeJpeg(res.body).width > 0, 'a real picture');
    // Offline, restarting with backoff; or idle already if that took long (nobody wants it any more).
    const failed = await info();
    assert.ok(failed.state === 'offline' || failed.state === 'idle', failed.state);
    assert.match(failed.lastError ?? '', /ffmpeg exited/);
    assert.ok(failed.lastErrorAt !== null && failed.lastErrorAt <= Date.now());
    if (failed.state === 'offline') assert.equal(failed.offlineReason, failed.lastError);
  });

  it('answers at once while it is in backoff', async () => {
    // A viewer keeps the camera wanted: it stays offline, restarting with backoff, however long this takes.
    const viewer = new AbortController();
    const stream = await fetch(`${t.url}/api/cameras/gone/stream.mjpeg`, { signal: viewer.signal });
    try {
      assert.equal(stream.status, 200);
      await waitFor(async () => (await info()).state === 'offline', 10_000, 'the camera to be offline');
      const res = await snapshot(snapshotUrl);
      assert.equal(res.status, 503);
      assert.equal(res.type, 'image/jpeg');
      assert.ok(decodeJpeg(res.body).width > 0);
      assert.equal((await info()).state, 'offline');
    } finally {
      viewer.abort();
    }
  });

  it('keeps the last failure and its time once idle', async () => {
    const failed = await info();
    const idle = await waitFor(
      async () => {
        const now = await info();
        return now.state === 'idle' && now;
      },
      10_000,
      'the camera to go idle',
    );
    assert.equal(idle.offlineReason, null, 'no longer offline');
    assert.match(idle.lastError ?? '', /ffmpeg exited/);
    assert.ok(idle.lastErrorAt !== null && idle.lastErrorAt >= failed.lastErrorAt!);
    const listed = (await (await fetch(`${t.url}/api/cameras`)).json()) as { cameras: CameraInfo[] };
    assert.equal(listed.cameras[0]!.lastError, idle.lastError, 'in the list too');
  });

  it('forgets the failure once a frame comes', async () => {
    ffmpegMjpegFile(clip, 20, 160, 120);
    const res = await snapshot(snapshotUrl);
    assert.equal(res.status, 200);
    const back = await info();
    assert.equal(back.state, 'online');
    assert.equal(back.lastError, null);
    assert.equal(back.lastErrorAt, null);
  });
});
