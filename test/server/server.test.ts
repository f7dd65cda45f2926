import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AccessUnit as Frame } from '../../src/media/index.js';
import {
  decodeJpeg,
  ffmpegChildren,
  ffmpegMjpegFile,
  sleep,
  startServer,
  waitFor,
  type TestServer,
} from '../support/index.js';

const dir = mkdtempSync(join(tmpdir(), 'camrelay-it-'));
const clip = join(dir, 'clip.mjpeg');
ffmpegMjpegFile(clip, 40, 352, 288);

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

async function snapshot(url: string): Promise<{ status: number; type: string | null; body: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}

describe('server with a testsrc and a file camera', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer(['pattern=testsrc?size=640x360&fps=30', `clip=file:${clip}?fps=20`]);
  });
  after(() => t.close());

  it('lists the cameras with their fields', async () => {
    const body = (await (await fetch(`${t.url}/api/cameras`)).json()) as { cameras: Record<string, unknown>[] };
    assert.deepEqual(
      body.cameras.map((c) => c.id),
      ['pattern', 'clip'],
    );
    const pattern = body.cameras[0]!;
    for (const key of ['name', 'kind', 'online', 'width', 'height', 'fps', 'viewerCount', 'lastFrameAt'])
      assert.ok(key in pattern, key);
    assert.equal(pattern.kind, 'testsrc');
    assert.equal(body.cameras[1]!.kind, 'file');
  });

  it('serves testsrc snapshots: JPEGs of the configured size that change over time', async () => {
    const first = await snapshot(`${t.url}/api/cameras/pattern/snapshot.jpg`);
    assert.equal(first.status, 200);
    assert.equal(first.type, 'image/jpeg');
    const image = decodeJpeg(first.body);
    assert.equal(image.width, 640);
    assert.equal(image.height, 360);
    await sleep(300);
    const second = await snapshot(`${t.url}/api/cameras/pattern/snapshot.jpg`);
    assert.equal(second.status, 200);
    assert.notEqual(md5(second.body), md5(first.body), 'the picture moved');
    const info = (await (await fetch(`${t.url}/api/cameras/pattern`)).json()) as {
      online: boolean;
      width: number;
      fps: number;
    };
    assert.equal(info.online, true);
    assert.equal(info.width, 640);
  });

  it('passes a raw MJPEG file through untouched, paced at its fps', async () => {
    const file = readFileSync(clip);
    const frames: Frame[] = [];
    const camera = t.server.registry.get('clip')!;
    const unsubscribe = camera.subscribe({ onUnit: (f) => frames.push(f) });
    await waitFor(() => frames.length >= 1, 5000, 'first frame');
    const start = frames.length;
    const t0 = Date.now();
    // 30 frames of a 20 fps file: paced (never more than 20 a second, with the former 1.33 margin),
    // not read as fast as the disk allows; a slow machine only makes them come later.
    await waitFor(() => frames.length >= start + 30, 15_000, '30 more frames');
    const seconds = (Date.now() - t0) / 1000;
    unsubscribe();
    const got = frames.length - start;
    assert.ok(got <= seconds * 20 * 1.33 + 1, `${got} frames in ${seconds.toFixed(2)} s`);
    assert.ok(seconds < 3, `${got} frames in ${seconds.toFixed(2)} s: paced at less than half its rate`);
    for (const f of frames.slice(0, 10)) {
      assert.equal(f.config.width, 352);
      assert.ok(file.indexOf(f.data) >= 0, 'frame bytes are exactly a JPEG from the file');
    }
  });

  it('answers an unknown camera with 404 JSON and a malformed id with 400', async () => {
    const res = await fetch(`${t.url}/api/cameras/nope/snapshot.jpg`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await res.json(), { statusCode: 404, error: 'Not Found', message: 'no camera "nope"' });
    assert.equal((await fetch(`${t.url}/api/cameras/UPPER`)).status, 400);
    assert.equal((await fetch(`${t.url}/api/nothing-here`)).status, 404);
  });

  it('reports health and Prometheus metrics', async () => {
    const health = (await (await fetch(`${t.url}/api/health`)).json()) as { status: string; cameras: number };
    assert.equal(health.status, 'ok');
    assert.equal(health.cameras, 2);
    const res = await fetch(`${t.url}/metrics`);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    const frames = /camrelay_camera_frames_total\{camera="pattern"\} (\d+)/.exec(text);
    assert.ok(frames && Number(frames[1]) > 0, 'frames counted');
    for (const name of [
      'camrelay_camera_bytes_total',
      'camrelay_camera_consumers',
      'camrelay_camera_restarts_total',
      'camrelay_camera_offline_seconds_total',
    ]) {
      assert.match(text, new RegExp(`${name}\\{camera="clip"\\} `), name);
    }
  });
});

describe('faults and on-demand capture', () => {
  it('runs no ffmpeg until asked, and stops it after the idle grace', async () => {
    const cfg = join(dir, 'idle.yaml');
    writeFileSync(
      cfg,
      'camera_defaults: { idle_grace: 1 }\ncameras:\n  - { id: cam, source: "testsrc?size=320x240" }\n',
    );
    const t = await startServer([], cfg);
    try {
      await sleep(300);
      assert.equal(ffmpegChildren().length, 0, 'no capture while nobody watches');
      assert.equal((await snapshot(`${t.url}/api/cameras/cam/snapshot.jpg`)).status, 200);
      assert.equal(ffmpegChildren().length, 1);
      await waitFor(() => ffmpegChildren().length === 0, 4000, 'ffmpeg to stop after the grace');
      assert.equal(t.server.registry.get('cam')!.state, 'idle');
    } finally {
      await t.close();
    }
  });

  it('shows the placeholder when ffmpeg is killed, then recovers without resubscribing', async () => {
    const t = await startServer(['cam=testsrc?size=320x240&fps=30']);
    try {
      const camera = t.server.registry.get('cam')!;
      const frames: Frame[] = [];
      camera.subscribe({ onUnit: (f) => frames.push(f) });
      await waitFor(() => camera.state === 'online', 5000, 'online');
      const [pid] = ffmpegChildren();
      assert.ok(pid);
      process.kill(pid, 'SIGKILL');
      await waitFor(() => frames.some((f) => f.placeholder), 5000, 'a placeholder frame');
      const info = (await (await fetch(`${t.url}/api/cameras/cam`)).json()) as {
        online: boolean;
        offlineReason: string;
      };
      assert.equal(info.online, false);
      assert.match(info.offlineReason, /SIGKILL/);
      const ph = frames.find((f) => f.placeholder)!;
      const image = decodeJpeg(ph.data);
      assert.equal(image.width, 320, 'placeholder has the camera size');
      const mark = frames.length;
      await waitFor(() => frames.slice(mark).some((f) => !f.placeholder), 8000, 'live frames again');
      assert.equal(camera.state, 'online');
      assert.equal(camera.counters.restarts, 1);
      const newPid = ffmpegChildren()[0];
      assert.ok(newPid && newPid !== pid, 'a new ffmpeg');
    } finally {
      await t.close();
    }
    assert.equal(ffmpegChildren().length, 0, 'close ends every child');
  });

  it('answers a snapshot of an unreachable camera with the placeholder and 503 once it fails', async () => {
    const cfg = join(dir, 'dead.yaml');
    writeFileSync(
      cfg,
      'cameras:\n  - { id: dead, name: Dead camera, source: "rtsp://127.0.0.1:9/none", snapshot_timeout: 1.5 }\n',
    );
    const t = await startServer([], cfg);
    try {
      const t0 = Date.now();
      const res = await snapshot(`${t.url}/api/cameras/dead/snapshot.jpg`);
      const took = Date.now() - t0;
      assert.equal(res.status, 503);
      assert.equal(res.type, 'image/jpeg');
      assert.ok(took < 5000, `took ${took} ms`);
      const image = decodeJpeg(res.body);
      assert.ok(image.width > 0);
      const info = (await (await fetch(`${t.url}/api/cameras/dead`)).json()) as {
        state: string;
        offlineReason: string;
      };
      assert.equal(info.state, 'offline');
      assert.match(info.offlineReason, /ffmpeg exited with code/);
    } finally {
      await t.close();
    }
  });
});
