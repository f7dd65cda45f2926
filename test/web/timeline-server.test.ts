/**
 * The recordings timeline against a real camrelay process that records a testsrc camera in short
 * segments: the grid's REC badge, the recorded range on the timeline, a click that plays the
 * recording (video time advances, the wall-clock time shown is inside the range), 4×, Live, the
 * download link of a selection, and a phone in portrait; and a viewer without the recordings
 * permission, refused them (403), who sees no timeline.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startCamrelay, waitFor, type CamrelayProcess } from '../support/index.js';
import { artifactPath } from './artifacts.js';
import { CHROMIUM, launchBrowser, openPage, playerStats } from './browser.js';

const MISSING = existsSync(CHROMIUM) ? undefined : `no chromium at ${CHROMIUM}`;
/** An admin may watch recordings; a viewer, by default, may not. */
const ADMIN = 'timeline-admin-token-0123456789';
const VIEWER = 'timeline-viewer-token-0123456789';
const hash = (token: string) => `sha256:${createHash('sha256').update(token).digest('hex')}`;

interface Span {
  start: number;
  end: number;
}

/** The recorded ranges of the last hour (none yet: 404); throws when the API has no such route. */
async function recorded(url: string): Promise<Span[]> {
  const now = Date.now();
  const query = `start=${now - 3_600_000}&end=${now}&token=${ADMIN}`;
  const response = await fetch(`${url}api/cameras/front/recordings?${query}`);
  const body = (await response.json()) as { ranges?: Span[]; message?: string; error?: string };
  if (response.status === 404 && !/^Route /.test(body.message ?? '')) return [];
  if (!response.ok || !body.ranges) throw new Error(`GET recordings: ${response.status} ${JSON.stringify(body)}`);
  return body.ranges;
}

/** What the page's recording player shows. */
function playback(page: Page): Promise<{ currentTime: number; rate: number; hidden: boolean; time: number }> {
  return page.evaluate(() => {
    const video = document.querySelector<HTMLVideoElement>('.recording-video');
    const clock = document.querySelector<HTMLElement>('.playback-clock');
    return {
      currentTime: video?.currentTime ?? -1,
      rate: video?.playbackRate ?? -1,
      hidden: !video || video.hidden,
      time: Number(clock?.dataset.time ?? 0),
    };
  });
}

/** The single view, zoomed to its closest (15 minutes around now), the recorded range drawn. */
async function openTimeline(page: Page): Promise<void> {
  await waitFor(async () => (await page.locator('.timeline-range').count()) >= 1, 20_000, 'a recorded range');
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Zoom in' }).click();
  assert.equal(await page.getByRole('button', { name: 'Zoom in' }).isDisabled(), true, 'zoomed in all the way');
}

/** The time under pixel `x` of the timeline. */
async function timeAt(page: Page, x: number): Promise<number> {
  const bar = page.locator('.timeline-bar');
  const box = await bar.boundingBox();
  assert.ok(box);
  const start = Number(await bar.getAttribute('data-start'));
  const end = Number(await bar.getAttribute('data-end'));
  return Math.round(start + ((x - box.x) / box.width) * (end - start));
}

/** A point at `fraction` of the last drawn range. */
async function inRange(page: Page, fraction: number): Promise<{ x: number; y: number }> {
  const box = await page.locator('.timeline-range').last().boundingBox();
  assert.ok(box && box.width > 4, `the range is drawn wide enough to aim at: ${JSON.stringify(box)}`);
  return { x: box.x + box.width * fraction, y: box.y + box.height / 2 };
}

describe('web viewer: the recordings timeline on a recording server', { skip: MISSING }, () => {
  let dir: string;
  let proc: CamrelayProcess;
  let url: string;
  let browser: Browser;
  let ready: string | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-timeline-server-'));
    const config = join(dir, 'camrelay.yaml');
    writeFileSync(
      config,
      `log: { level: warn }\nrecordings: { path: ${join(dir, 'store')}, segment_duration: 2 }\n` +
        'cameras:\n  - { id: front, name: Front door, source: "testsrc?size=320x180&fps=10", record: true }\n' +
        'auth:\n  tokens:\n' +
        `    - { name: admin, role: admin, token_hash: "${hash(ADMIN)}" }\n` +
        `    - { name: viewer, role: viewer, token_hash: "${hash(VIEWER)}" }\n`,
    );
    ({ proc, url } = await startCamrelay(['serve', '--config', config, '--port', '0']));
    browser = await launchBrowser(['--autoplay-policy=no-user-gesture-required']);
    // Some seconds of recording, listed by the API.
    try {
      await waitFor(
        async () => {
          const ranges = await recorded(url);
          const last = ranges[ranges.length - 1];
          return last && last.end - last.start >= 8000;
        },
        40_000,
        '8 s of recording',
      );
    } catch (err) {
      ready = err instanceof Error ? err.message : String(err);
    }
  });

  after(async () => {
    await browser?.close();
    await proc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function needsRecordings(t: TestContext): boolean {
    if (ready) t.skip(`no recordings to show: ${ready}`);
    return !ready;
  }

  it('shows REC on the recording camera’s tile', async () => {
    const { context, page } = await openPage(browser, `${url}?token=${ADMIN}`);
    try {
      const rec = page.locator('.tile[data-camera=front] .rec-badge');
      await waitFor(async () => (await rec.getAttribute('data-state')) === 'recording', 15_000, 'the REC badge');
      assert.equal(await rec.isVisible(), true);
      assert.equal(await rec.textContent(), 'REC');
      assert.match((await rec.getAttribute('title')) ?? '', /^Recording since /);
    } finally {
      await context.close();
    }
  });

  it('plays the recording from a click, at 4×, and goes back to live', async (t) => {
    if (!needsRecordings(t)) return;
    const { context, page } = await openPage(browser, `${url}?token=${ADMIN}#/camera/front`);
    try {
      await openTimeline(page);
      assert.equal(await page.locator('.timeline-now').isVisible(), true);
      const point = await inRange(page, 0.3);
      const clicked = await timeAt(page, point.x);
      const clickedAt = Date.now();
      await page.mouse.click(point.x, point.y);
      await waitFor(async () => (await playback(page)).currentTime > 0, 20_000, 'the recording plays');
      const played = await playback(page);
      // From the time clicked (a click near "now" plays the last 10 s), though the video starts at a keyframe before.
      const range = (await recorded(url)).find((r) => r.start <= clicked && clicked < r.end);
      const asked = Math.max(range?.start ?? 0, Math.min(clicked, clickedAt - 10_000));
      const off = played.time - asked;
      assert.ok(off >= -300 && off < 3000, `the time shown is the time asked for: ${off} ms after it`);
      const ranges = await recorded(url);
      const inside = ranges.some((r) => played.time >= r.start - 1000 && played.time <= r.end + 1000);
      assert.ok(inside, `the time shown ${played.time} is recorded: ${JSON.stringify(ranges)}`);
      assert.ok(played.time < Date.now() - 500, 'in the past');
      assert.equal(await page.locator('.stage camrelay-player').isVisible(), false, 'the live player gives way');

      await page.getByRole('button', { name: 'Speed 4×' }).click();
      assert.equal((await playback(page)).rate, 4);
      const t0 = (await playback(page)).currentTime;
      await waitFor(async () => (await playback(page)).currentTime > t0 + 0.5, 10_000, 'still playing at 4×');
      await page.screenshot({ path: artifactPath('timeline-server-playing.png') });

      await page.getByRole('button', { name: 'Live' }).click();
      assert.equal((await playback(page)).hidden, true);
      await waitFor(
        async () => (await playerStats(page, '.stage camrelay-player')).state === 'live',
        15_000,
        'the live player live again',
      );
      assert.equal(await page.locator('.stage camrelay-player').isVisible(), true);
    } finally {
      await context.close();
    }
  });

  it('links the download of a selected range with its start and end', async (t) => {
    if (!needsRecordings(t)) return;
    const { context, page } = await openPage(browser, `${url}?token=${ADMIN}#/camera/front`);
    try {
      await openTimeline(page);
      await page.getByRole('button', { name: 'Select' }).click();
      const a = await inRange(page, 0.2);
      const b = await inRange(page, 0.8);
      await page.mouse.click(a.x, a.y);
      await page.mouse.click(b.x, b.y);
      const download = page.locator('.download-range');
      await waitFor(async () => download.isVisible(), 5000, 'the download link');
      const start = Number(await download.getAttribute('data-start'));
      const end = Number(await download.getAttribute('data-end'));
      assert.ok(end - start >= 1000, `a range of ${end - start} ms`);
      const href = new URL((await download.getAttribute('href')) ?? '', url);
      assert.equal(href.searchParams.get('token'), ADMIN, "the page's token goes along");
      assert.equal(href.pathname, '/api/cameras/front/recordings/video.mp4');
      assert.equal(href.searchParams.get('start'), String(start));
      assert.equal(href.searchParams.get('end'), String(end));
      assert.equal(href.searchParams.get('download'), '1');
      const response = await page.request.get(href.toString(), { headers: { range: 'bytes=0-99' } });
      assert.equal(response.status(), 206, 'the server serves it, with Range');
      assert.equal(response.headers()['content-type'], 'video/mp4');
    } finally {
      await context.close();
    }
  });

  it('works on a phone in portrait: no sideways scrolling, a tap plays', async (t) => {
    if (!needsRecordings(t)) return;
    const { context, page } = await openPage(browser, `${url}?token=${ADMIN}#/camera/front`, {
      width: 390,
      height: 844,
      deviceScaleFactor: 2,
      isMobile: true,
      colorScheme: 'dark',
    });
    try {
      await openTimeline(page);
      const sideways = () =>
        page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
      assert.equal(await sideways(), false, 'no sideways scrolling');
      const point = await inRange(page, 0.4);
      await page.touchscreen.tap(point.x, point.y);
      await waitFor(async () => (await playback(page)).currentTime > 0.3, 20_000, 'a tap plays');
      assert.equal(await sideways(), false, 'no sideways scrolling while playing');
      await page.screenshot({ path: artifactPath('timeline-server-phone.png') });
    } finally {
      await context.close();
    }
  });

  it('shows no timeline to a viewer refused the recordings, and does not ask for them', async (t) => {
    if (!needsRecordings(t)) return;
    const refused = await fetch(`${url}api/cameras/front/recordings?start=0&end=1000&token=${VIEWER}`);
    assert.equal(refused.status, 403, 'the server refuses this viewer the recordings');
    const { context, page } = await openPage(browser, 'about:blank');
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/recordings')) asked.push(r.url());
    });
    // What the page decides on: the server's answer to api/me.
    const me = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/me');
    me.catch(() => undefined); // awaited below; a page closed early must not leave it unhandled
    await page.goto(`${url}?token=${VIEWER}#/camera/front`);
    try {
      await waitFor(async () => (await page.locator('.camera-title').textContent()) === 'Front door', 10_000, 'title');
      await waitFor(
        async () => (await playerStats(page, '.stage camrelay-player')).state === 'live',
        15_000,
        'the live picture',
      );
      // Its answer read and acted on (the panel would ask for the recordings at once after it).
      const answer = await me;
      assert.equal(answer.status(), 200);
      await answer.finished();
      await page.waitForTimeout(200);
      assert.equal(await page.locator('.timeline-panel').isVisible(), false, 'no timeline');
      // api/me says this viewer may not watch recordings: not even asked for.
      assert.deepEqual(asked, []);
    } finally {
      await context.close();
    }
  });
});
