/**
 * Playback of recordings the real server made: a `file:` H.264 camera with `record:` writes
 * 2-second segments; the ranges list them, an export across several segments is one MP4 that
 * ffprobe reads cleanly, it plays in headless Chromium (<video src>: it starts, time advances,
 * a seek lands), and thumbnails decode; the segment being written is exported too.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { decodeJpeg, ffprobeErrors, ffprobeInfo, startServer, waitFor, type TestServer } from '../support/index.js';
import { requireInCi } from '../support/ci.js';
import { CHROMIUM, launchBrowser } from '../web/browser.js';
import { makeH264Clip, writeConfig } from '../recording/helpers.js';

const MISSING = existsSync(CHROMIUM) ? undefined : `no chromium at ${CHROMIUM}`;

describe('playback of real recordings', () => {
  let dir: string;
  let ts: TestServer;
  let browser: Browser | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-playback-real-'));
    makeH264Clip(join(dir, 'clip.mp4'), { seconds: 20, fps: 25, gop: 25 });
    const config = writeConfig(
      join(dir, 'camrelay.yaml'),
      `recordings: { path: ${join(dir, 'store')}, segment_duration: 2 }\n` +
        `cameras:\n  - { id: cam, source: "file:${join(dir, 'clip.mp4')}", record: true }\n`,
    );
    ts = await startServer([], config);
    const store = ts.server.recordings!;
    await waitFor(
      () => store.segments('cam', 0, Date.now() + 1000).filter((s) => !s.open).length >= 3,
      40_000,
      'three closed segments',
    );
  });

  after(async () => {
    await browser?.close();
    await ts?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const span = (): { start: number; end: number } => {
    const segments = ts.server.recordings!.segments('cam', 0, Date.now() + 1000);
    return { start: segments[0]!.startMs, end: segments[segments.length - 1]!.endMs };
  };

  it('lists what was recorded as one range', async () => {
    const { start, end } = span();
    const response = await fetch(`${ts.url}/api/cameras/cam/recordings?start=${start - 10_000}&end=${end + 10_000}`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { ranges: { start: number; end: number }[]; gaps: unknown[] };
    assert.equal(body.ranges.length, 1, JSON.stringify(body));
    assert.equal(body.ranges[0]!.start, start);
    assert.ok(body.ranges[0]!.end >= end - 1000);
  });

  it('exports a range across segments, the open one included, as one clean MP4', async () => {
    const { start } = span();
    const end = Date.now() + 5000; // into the segment being written
    // Asked for once the segment being written holds a whole fragment.
    const segments = await waitFor(
      () => {
        const all = ts.server.recordings!.segments('cam', 0, Date.now() + 1000);
        const open = all.find((seg) => seg.open);
        return open && open.endMs > open.startMs ? all : undefined;
      },
      10_000,
      'a fragment of the open segment',
    );
    const closed = segments.filter((seg) => !seg.open);
    const closedEnd = closed[closed.length - 1]!.endMs;
    const response = await fetch(`${ts.url}/api/cameras/cam/recordings/video.mp4?start=${start + 500}&end=${end}`);
    assert.equal(response.status, 200);
    assert.equal(Number(response.headers.get('x-recording-start')), start, 'the first keyframe');
    const path = join(dir, 'export.mp4');
    writeFileSync(path, Buffer.from(await response.arrayBuffer()));
    assert.equal(await ffprobeErrors(path), '');
    const info = await ffprobeInfo(path);
    assert.equal(info.width, 320);
    assert.ok(info.startsWithKeyframe);
    const recorded = (Number(response.headers.get('x-recording-end')) - start) / 1000;
    assert.ok(Math.abs(info.duration - recorded) < 0.1, `${info.duration} s vs ${recorded} s`);
    // It reaches past every segment closed when it was asked for, into the one being written then.
    assert.ok(closed.length >= 3, 'three closed segments before it');
    assert.ok(start + info.duration * 1000 > closedEnd, `${info.duration} s reach into the open segment`);
  });

  it('a thumbnail of a recorded moment', async () => {
    const { start } = span();
    const response = await fetch(`${ts.url}/api/cameras/cam/recordings/thumbnail.jpg?t=${start + 2500}&width=200`);
    assert.equal(response.status, 200);
    assert.equal(decodeJpeg(Buffer.from(await response.arrayBuffer())).width, 200);
  });

  it('plays in Chromium: a <video> starts, its time advances, and a seek lands', async (t) => {
    if (MISSING) {
      requireInCi(MISSING);
      t.skip(MISSING);
      return;
    }
    browser = await launchBrowser(['--autoplay-policy=no-user-gesture-required']);
    const page = await browser.newPage();
    const { start, end } = span();
    const src = `${ts.url}/api/cameras/cam/recordings/video.mp4?start=${start}&end=${end}`;
    await page.goto(`${ts.url}/api/health`);
    await page.setContent(`<video id="v" muted playsinline src="${src}"></video>`);
    await page.waitForFunction(() => (document.getElementById('v') as HTMLVideoElement).readyState >= 2, null, {
      timeout: 15_000,
    });
    const duration = await page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).duration);
    assert.ok(Math.abs(duration - (end - start) / 1000) < 0.5, `duration ${duration}`);
    await page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).play());
    await page.waitForFunction(() => (document.getElementById('v') as HTMLVideoElement).currentTime > 0.5, null, {
      timeout: 15_000,
    });
    const target = duration / 2;
    await page.evaluate((to) => {
      const v = document.getElementById('v') as HTMLVideoElement;
      v.pause();
      v.currentTime = to;
    }, target);
    await page.waitForFunction(
      (to) => {
        const v = document.getElementById('v') as HTMLVideoElement;
        return !v.seeking && v.readyState >= 2 && Math.abs(v.currentTime - to) < 0.1;
      },
      target,
      { timeout: 15_000 },
    );
    const error = await page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).error?.message ?? null);
    assert.equal(error, null);
  });
});
