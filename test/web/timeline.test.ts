/**
 * The recordings timeline of the viewer (web/src/app/recordings-panel.ts and its parts) in real
 * Chromium, against the built page (web/dist) and a stand-in for the server's API whose answers
 * the test chooses: recorded ranges and a gap with its reason, a refused user (403), a real
 * H.264 MP4 made by ffmpeg served with Range requests, JPEG thumbnails. Counts what the page
 * asks for: windows chained at the end of one, thumbnails cached, no polling of a refused API.
 * (timeline-server.test.ts plays a real server's recordings.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { locateFfmpeg } from '../../src/ffmpeg/locate.js';
import { ffmpegJpeg, waitFor } from '../support/index.js';
import { artifactPath, REPO } from './artifacts.js';
import { CHROMIUM, launchBrowser, openPage } from './browser.js';

const MISSING = existsSync(CHROMIUM) ? undefined : `no chromium at ${CHROMIUM}`;
const MINUTE = 60_000;
/** Seconds of video in every window the stand-in serves: short, so a window ends within the test. */
const CLIP_SECONDS = 8;
/** While today is shown, the panel lists its recordings again this often (web/src/app/recordings-panel.ts). */
const REFRESH_MS = 10_000;

interface Asked {
  path: string;
  query: URLSearchParams;
  range: string | undefined;
}

/** The stand-in: web/dist as camrelay serves it, and the API answers the test sets up. */
class StubServer {
  readonly asked: Asked[] = [];
  readonly now = Date.now();
  /** Recorded: 50 to 30 minutes ago, then from 20 minutes ago until now; offline in between. */
  readonly ranges = [
    { start: this.now - 50 * MINUTE, end: this.now - 30 * MINUTE },
    { start: this.now - 20 * MINUTE, end: this.now },
  ];
  readonly gap = { start: this.now - 30 * MINUTE, end: this.now - 20 * MINUTE, reason: 'offline' };
  /** Gaps that came later (the test adds them). */
  readonly moreGaps: { start: number; end: number; reason: string }[] = [];
  private server: Server | undefined;
  url = '';

  constructor(
    private readonly mp4: Buffer,
    private readonly jpeg: Buffer,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.answer(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }

  count(path: RegExp): number {
    return this.asked.filter((a) => path.test(a.path)).length;
  }

  videos(camera = 'front'): Asked[] {
    return this.asked.filter(
      (a) => a.path === `/api/cameras/${camera}/recordings/video.mp4` && !a.range?.endsWith('0-0'),
    );
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.asked.push({ path: url.pathname, query: url.searchParams, range: req.headers.range });
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const path = url.pathname;
    if (path === '/api/cameras') return json(200, { cameras: this.cameras() });
    const m = /^\/api\/cameras\/([^/]+)\/recordings(\/video\.mp4|\/thumbnail\.jpg)?$/.exec(path);
    if (m) {
      const camera = m[1]!;
      if (camera === 'secret') return json(403, { error: 'no recordings permission' });
      if (camera === 'plain') return json(404, { error: 'nothing recorded' });
      if (m[2] === '/thumbnail.jpg') {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        return void res.end(this.jpeg);
      }
      const start = Number(url.searchParams.get('start'));
      const end = Number(url.searchParams.get('end'));
      if (!m[2]) {
        const ranges = this.ranges
          .map((r) => ({ start: Math.max(r.start, start), end: Math.min(r.end, end) }))
          .filter((r) => r.end > r.start);
        const gaps = [this.gap, ...this.moreGaps].filter((g) => g.end > start && g.start < end);
        return json(200, { camera, start, end, ranges, gaps });
      }
      const first = this.ranges.map((r) => Math.max(r.start, start)).find((t, i) => t < this.ranges[i]!.end);
      if (first === undefined || first >= end) return json(404, { error: 'nothing recorded' });
      return this.video(req, res, first, url.searchParams.get('download') === '1');
    }
    if (path.startsWith('/api/')) return json(404, { error: 'not found' });
    this.file(path === '/' ? '/index.html' : path, res);
  }

  private video(req: IncomingMessage, res: ServerResponse, first: number, download: boolean): void {
    const size = this.mp4.length;
    const headers: Record<string, string> = {
      'content-type': 'video/mp4',
      'accept-ranges': 'bytes',
      // As camrelay does: the video starts at the keyframe before the time asked for (here 2 s before).
      'x-recording-start': String(this.keyframeBefore(first)),
    };
    if (download) headers['content-disposition'] = 'attachment; filename="front.mp4"';
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const from = Number(range[1]);
      const to = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      res.writeHead(206, {
        ...headers,
        'content-range': `bytes ${from}-${to}/${size}`,
        'content-length': to - from + 1,
      });
      return void res.end(this.mp4.subarray(from, to + 1));
    }
    res.writeHead(200, { ...headers, 'content-length': size });
    res.end(this.mp4);
  }

  /** The keyframe at or before `t`, inside its range: every 2 s of the clip. */
  keyframeBefore(t: number): number {
    const range = this.ranges.find((r) => r.start <= t && t < r.end);
    return range ? Math.max(range.start, t - 2000) : t;
  }

  private file(path: string, res: ServerResponse): void {
    const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
    try {
      const body = readFileSync(join(REPO, 'web/dist', path.replace(/\.\./g, '')));
      res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  }

  private cameras(): unknown[] {
    const base = {
      kind: 'testsrc',
      state: 'offline',
      online: false,
      width: 320,
      height: 180,
      fps: 15,
      viewerCount: 0,
      lastFrameAt: null,
      offlineSince: null,
      offlineReason: null,
      lastError: null,
      lastErrorAt: null,
      alwaysOn: false,
      codec: 'h264',
    };
    const since = this.now - 50 * MINUTE;
    return [
      { ...base, id: 'front', name: 'Front door', recording: { enabled: true, state: 'recording', since } },
      {
        ...base,
        id: 'side',
        name: 'Side gate',
        recording: { enabled: true, state: 'error', error: 'disk full', since },
      },
      { ...base, id: 'plain', name: 'Not recorded', recording: null },
      { ...base, id: 'secret', name: 'Refused', recording: { enabled: true, state: 'recording', since } },
    ];
  }
}

/** A real H.264 MP4, moov first (as a progressive export is), keyframe every second. */
function clip(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-timeline-'));
  const out = join(dir, 'clip.mp4');
  execFileSync(locateFfmpeg().path, [
    ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=15'],
    ...['-t', String(CLIP_SECONDS), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '15', '-bf', '0'],
    ...['-movflags', '+faststart', out],
  ]);
  return readFileSync(out);
}

/** Clicks (or taps) inside the n-th recorded range, at `fraction` of its width. */
async function pointAt(page: Page, index: number, fraction: number): Promise<{ x: number; y: number }> {
  const box = await page.locator('.timeline-range').nth(index).boundingBox();
  assert.ok(box, 'the range is drawn');
  return { x: box.x + box.width * fraction, y: box.y + box.height / 2 };
}

/** What the page's recording player shows: video time, rate, and the wall-clock time on its badge. */
function playback(
  page: Page,
): Promise<{ currentTime: number; rate: number; hidden: boolean; time: number; text: string }> {
  return page.evaluate(() => {
    const video = document.querySelector<HTMLVideoElement>('.recording-video');
    const clock = document.querySelector<HTMLElement>('.playback-clock');
    return {
      currentTime: video?.currentTime ?? -1,
      rate: video?.playbackRate ?? -1,
      hidden: !video || video.hidden,
      time: Number(clock?.dataset.time ?? 0),
      text: clock?.textContent ?? '',
    };
  });
}

describe('web viewer: the recordings timeline (stand-in API)', { skip: MISSING }, () => {
  let stub: StubServer;
  let browser: Browser;

  before(async () => {
    stub = new StubServer(clip(), ffmpegJpeg(160, 90));
    await stub.start();
    browser = await launchBrowser(['--autoplay-policy=no-user-gesture-required']);
  });

  after(async () => {
    await browser?.close();
    await stub?.close();
  });

  it('marks recorded cameras on the grid: REC, and the error in its title', async () => {
    const { context, page } = await openPage(browser, stub.url);
    try {
      await waitFor(async () => (await page.locator('.tile').count()) === 4, 10_000, 'four tiles');
      const rec = (id: string) => page.locator(`.tile[data-camera=${id}] .rec-badge`);
      assert.equal(await rec('front').textContent(), 'REC');
      assert.equal(await rec('front').getAttribute('data-state'), 'recording');
      assert.match((await rec('front').getAttribute('title')) ?? '', /^Recording since /);
      assert.equal(await rec('side').getAttribute('data-state'), 'error');
      assert.equal(await rec('side').getAttribute('title'), 'Not recording: disk full');
      assert.equal(await rec('plain').isVisible(), false, 'no badge on a camera that is not recorded');
      await page.screenshot({ path: artifactPath('timeline-grid-rec.png') });
    } finally {
      await context.close();
    }
  });

  it('draws the day: ranges, gap, now; a click plays from there, showing the recorded time', async () => {
    const { context, page } = await openPage(browser, `${stub.url}/#/camera/front`);
    try {
      await waitFor(async () => (await page.locator('.timeline-range').count()) === 2, 10_000, 'two ranges');
      assert.equal(await page.locator('.timeline-date').textContent(), 'Today');
      assert.equal(await page.locator('.timeline-now').isVisible(), true, 'the now marker');
      const gap = page.locator('.timeline-gap');
      assert.equal(await gap.count(), 1);
      assert.equal(await gap.getAttribute('data-reason'), 'offline');
      assert.match((await gap.getAttribute('title')) ?? '', /^No recording .+ \(10 min\): camera offline$/);
      assert.equal(await page.locator('.rec-state').textContent(), 'Recording');
      // The live player is there until something is played.
      assert.equal(await page.locator('.stage camrelay-player').isVisible(), true);
      assert.equal((await playback(page)).hidden, true);

      // The middle of the first range: 40 minutes ago.
      const point = await pointAt(page, 0, 0.5);
      await page.mouse.click(point.x, point.y);
      await waitFor(async () => (await playback(page)).currentTime > 0.5, 15_000, 'the recording plays');
      const played = await playback(page);
      assert.equal(played.hidden, false);
      assert.equal(await page.locator('.stage camrelay-player').isVisible(), false, 'the live player gives way');
      const [range] = stub.ranges;
      assert.ok(played.time >= range!.start && played.time <= range!.end, `${played.time} inside the first range`);
      assert.ok(Math.abs(played.time - (stub.now - 40 * MINUTE)) < 5 * MINUTE, 'about where it was clicked');
      assert.match(played.text, /\d\d:\d\d:\d\d/);
      // The window asked for: from the time clicked, 15 minutes (never past now).
      const [asked] = stub.videos();
      assert.ok(asked, 'video.mp4 was asked for');
      const start = Number(asked.query.get('start'));
      assert.equal(Number(asked.query.get('end')) - start, 15 * MINUTE);
      // Video time 0 is X-Recording-Start (a keyframe 2 s before): wall = that + currentTime, and the
      // video was moved on to the time clicked.
      const now = await playback(page);
      const origin = stub.keyframeBefore(start);
      assert.equal(origin, start - 2000);
      assert.ok(
        Math.abs(now.time - (origin + now.currentTime * 1000)) < 500,
        'wall time = X-Recording-Start + video time',
      );
      assert.ok(
        played.time >= start - 100 && played.time < start + 5000,
        `from the time clicked: ${played.time - start} ms`,
      );
      const aria = Number(await page.locator('.timeline-track').getAttribute('aria-valuenow'));
      assert.ok(Math.abs(aria - now.time) < 2000, 'the playhead is the slider value');

      // 4×: the video's rate, said on the clock; at the end of the window the next one is loaded from its end.
      await page.getByRole('button', { name: 'Speed 4×' }).click();
      assert.equal((await playback(page)).rate, 4);
      assert.equal(await page.getByRole('button', { name: 'Speed 4×' }).getAttribute('aria-pressed'), 'true');
      await waitFor(async () => / · 4×$/.test((await playback(page)).text), 5000, 'the rate on the clock');
      await waitFor(async () => stub.videos().length >= 2, 15_000, 'the next window');
      const next = stub.videos().find((a) => Number(a.query.get('start')) !== start);
      assert.ok(next, 'a window that starts elsewhere');
      // The first window ends in the gap: the next starts where recording resumes.
      assert.equal(start + 15 * MINUTE > stub.gap.start, true, 'the first window ends in the gap');
      assert.equal(Number(next.query.get('start')), stub.ranges[1]!.start, 'the next skips the rest of the gap');
      await waitFor(async () => (await playback(page)).currentTime > 0.2, 10_000, 'the next window plays');
      assert.equal((await playback(page)).rate, 4, 'at the same speed');
      const later = await playback(page);
      assert.ok(later.time >= stub.ranges[1]!.start, 'its wall time follows on');

      // Keyboard: the timeline is a slider; the arrow keys move the playhead by 10 s.
      await page.locator('.timeline-track').focus();
      await page.getByRole('button', { name: 'Speed 1×' }).click();
      // Paused, the playhead moves by the key alone (playing, it also moves by the playing in between).
      await page.evaluate(() => document.querySelector<HTMLVideoElement>('.recording-video')!.pause());
      const valueNow = () => page.locator('.timeline-track').getAttribute('aria-valuenow');
      let settled = await valueNow();
      await waitFor(
        async () => {
          const now = await valueNow();
          const same = now === settled;
          settled = now;
          return same;
        },
        5000,
        'the playhead to stand still',
      );
      await page.locator('.timeline-track').focus();
      const was = Number(await valueNow());
      // The key moves the video by a seek: inside the window loaded, or in a window from there that starts at
      // the keyframe 2 s before (shown on the playhead for a moment) and is then moved on to the time asked for.
      const seeked = page.evaluate(
        () =>
          new Promise<void>((resolve) => {
            const video = document.querySelector<HTMLVideoElement>('.recording-video')!;
            video.addEventListener('seeked', () => resolve(), { once: true });
            setTimeout(resolve, 5000);
          }),
      );
      await page.keyboard.press('ArrowRight');
      await seeked;
      const moved = Number(await valueNow());
      assert.ok(moved - was >= 9000 && moved - was <= 12_000, `ArrowRight: +10 s (${moved - was})`);

      // Live: the recording stops, the live player is back.
      await page.getByRole('button', { name: 'Live' }).click();
      const live = await playback(page);
      assert.equal(live.hidden, true);
      assert.equal(await page.locator('.recording-video').getAttribute('src'), null, 'the video let go');
      assert.equal(await page.locator('.stage camrelay-player').isVisible(), true);
      assert.equal(await page.getByRole('button', { name: 'Live' }).getAttribute('aria-pressed'), 'true');
      await page.screenshot({ path: artifactPath('timeline-1280x800-light.png') });
    } finally {
      await context.close();
    }
  });

  it('plays from the next recording after a click in a gap, and says why there is none', async () => {
    const { context, page } = await openPage(browser, `${stub.url}/#/camera/front`);
    try {
      await waitFor(async () => (await page.locator('.timeline-gap').count()) === 1, 10_000, 'the gap');
      const box = await page.locator('.timeline-gap').boundingBox();
      assert.ok(box);
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      await waitFor(async () => (await playback(page)).currentTime > 0.2, 15_000, 'playing');
      assert.match((await page.locator('.timeline-status').textContent()) ?? '', /camera offline — playing from /);
      const played = await playback(page);
      assert.ok(played.time >= stub.ranges[1]!.start, 'from the start of the next range');
    } finally {
      await context.close();
    }
  });

  it('previews thumbnails on hover, asking once for each picture', async () => {
    const { context, page } = await openPage(browser, `${stub.url}/#/camera/front`);
    try {
      await waitFor(async () => (await page.locator('.timeline-range').count()) === 2, 10_000, 'the ranges');
      const box = await page.locator('.timeline-range').nth(1).boundingBox();
      assert.ok(box);
      const y = box.y + box.height / 2;
      const earlier = stub.count(/thumbnail\.jpg$/);
      // The second pass over the same three points is served from the cache.
      for (let pass = 0; pass < 2; pass++) {
        for (const f of [0.1, 0.5, 0.9]) {
          await page.mouse.move(box.x + box.width * f, y);
          await waitFor(
            async () => page.locator('.timeline-preview-image').evaluate((img) => !(img as HTMLImageElement).hidden),
            5000,
            'the preview picture',
          );
          await page.waitForTimeout(200);
        }
      }
      assert.equal(await page.locator('.timeline-preview').isVisible(), true);
      const asked = stub.count(/thumbnail\.jpg$/) - earlier;
      assert.ok(asked >= 1 && asked <= 3, `each picture asked for once: ${asked} requests`);
      const thumb = stub.asked.find((a) => a.path.endsWith('thumbnail.jpg'));
      assert.equal(thumb?.query.get('width'), '160');
      // Over the gap: its reason, no picture.
      const gap = await page.locator('.timeline-gap').boundingBox();
      assert.ok(gap);
      await page.mouse.move(gap.x + gap.width / 2, y);
      await waitFor(
        async () => /camera offline/.test((await page.locator('.timeline-preview-note').textContent()) ?? ''),
        5000,
        'the gap reason in the preview',
      );
      assert.equal(await page.locator('.timeline-preview-image').isVisible(), false);
      await page.mouse.move(5, 5);
      await waitFor(async () => !(await page.locator('.timeline-preview').isVisible()), 5000, 'preview hidden');
    } finally {
      await context.close();
    }
  });

  it('selects a range (select mode: two taps, or shift-drag) and links its download', async () => {
    const { context, page } = await openPage(browser, `${stub.url}/#/camera/front`);
    try {
      await waitFor(async () => (await page.locator('.timeline-range').count()) === 2, 10_000, 'the ranges');
      const download = page.locator('.download-range');
      assert.equal(await download.isVisible(), false);
      await page.getByRole('button', { name: 'Select' }).click();
      const a = await pointAt(page, 1, 0.2);
      const b = await pointAt(page, 1, 0.6);
      await page.mouse.click(b.x, b.y);
      assert.equal(await page.locator('.timeline-anchor').isVisible(), true, 'the first end is marked');
      await page.mouse.click(a.x, a.y);
      await waitFor(async () => download.isVisible(), 5000, 'the download link');
      const start = Number(await download.getAttribute('data-start'));
      const end = Number(await download.getAttribute('data-end'));
      assert.ok(end > start, 'in order, whichever end came first');
      const [r] = [stub.ranges[1]!];
      const expect = (f: number) => r.start + (r.end - r.start) * f;
      const tolerance = (r.end - r.start) * 0.03 + 5000;
      assert.ok(Math.abs(start - expect(0.2)) < tolerance && Math.abs(end - expect(0.6)) < tolerance, 'where tapped');
      const href = new URL((await download.getAttribute('href')) ?? '', stub.url);
      assert.equal(href.pathname, '/api/cameras/front/recordings/video.mp4');
      assert.equal(href.searchParams.get('start'), String(start));
      assert.equal(href.searchParams.get('end'), String(end));
      assert.equal(href.searchParams.get('download'), '1');
      assert.match((await download.textContent()) ?? '', /^Download \d\d:\d\d:\d\d.*–\d\d:\d\d:\d\d/);
      assert.equal(await page.locator('.timeline-selection').isVisible(), true);
      await page.screenshot({ path: artifactPath('timeline-selection-1280x800-light.png') });
      // Nothing played: taps in select mode select.
      assert.equal((await playback(page)).hidden, true);
      const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
      assert.match(file.suggestedFilename(), /\.mp4$/);

      // Select mode off: the selection goes; shift-drag selects without it.
      await page.getByRole('button', { name: 'Select' }).click();
      assert.equal(await download.isVisible(), false);
      const c = await pointAt(page, 0, 0.1);
      const d = await pointAt(page, 0, 0.9);
      await page.keyboard.down('Shift');
      await page.mouse.move(c.x, c.y);
      await page.mouse.down();
      await page.mouse.move(d.x, d.y, { steps: 8 });
      await page.mouse.up();
      await page.keyboard.up('Shift');
      await waitFor(async () => download.isVisible(), 5000, 'the download link after shift-drag');
      const span = Number(await download.getAttribute('data-end')) - Number(await download.getAttribute('data-start'));
      assert.ok(Math.abs(span - 16 * MINUTE) < 2 * MINUTE, `80% of a 20-minute range: ${span} ms`);
      assert.equal((await playback(page)).hidden, true, 'shift-drag plays nothing');
    } finally {
      await context.close();
    }
  });

  it('goes to the previous day and back to today', async () => {
    const { context, page } = await openPage(browser, 'about:blank');
    // The page's clock runs on by itself, and the test can skip ahead to the panel's next refresh.
    await page.clock.install();
    await page.goto(`${stub.url}/#/camera/front`);
    try {
      await waitFor(async () => (await page.locator('.timeline-range').count()) === 2, 10_000, 'the ranges');
      assert.equal(await page.getByRole('button', { name: 'Next day' }).isDisabled(), true, 'no tomorrow');
      await page.getByRole('button', { name: 'Previous day' }).click();
      assert.equal(await page.locator('.timeline-date').textContent(), 'Yesterday');
      const midnight = new Date(stub.now);
      midnight.setHours(0, 0, 0, 0);
      midnight.setDate(midnight.getDate() - 1);
      await waitFor(
        () =>
          stub.asked.some(
            (a) => a.path === '/api/cameras/front/recordings' && a.query.get('start') === String(midnight.getTime()),
          ),
        5000,
        'the day before asked for from its midnight',
      );
      await page.getByRole('button', { name: 'Today' }).click();
      assert.equal(await page.locator('.timeline-date').textContent(), 'Today');
      await waitFor(async () => (await page.locator('.timeline-range').count()) === 2, 5000, 'today again');
      // Today's ranges are asked for again while it is shown: news appear by themselves.
      const listed = stub.count(/\/front\/recordings$/);
      stub.moreGaps.push({ start: stub.now - 10 * MINUTE, end: stub.now - 7 * MINUTE, reason: 'dropped' });
      // Ten seconds on (the panel's refresh interval): the refresh that was due has run, nothing else asked.
      await page.clock.fastForward(REFRESH_MS);
      await waitFor(async () => (await page.locator('.timeline-gap').count()) === 2, 5000, 'the new gap');
      assert.ok(stub.count(/\/front\/recordings$/) > listed, 'listed again');
      assert.equal(await page.locator('.timeline-gap').last().getAttribute('data-reason'), 'dropped');
      stub.moreGaps.length = 0;

      // Zoom: an hour around now shows both ranges wider.
      const wide = (await page.locator('.timeline-range').nth(1).boundingBox())!.width;
      await page.getByRole('button', { name: 'Zoom in' }).click();
      await page.getByRole('button', { name: 'Zoom in' }).click();
      const zoomed = (await page.locator('.timeline-range').last().boundingBox())!.width;
      assert.ok(zoomed > wide * 4, `zoomed in: ${wide} → ${zoomed} px`);
    } finally {
      await context.close();
    }
  });

  it('stays hidden, quietly, for a user refused the recordings and for a camera never recorded', async () => {
    for (const id of ['secret', 'plain']) {
      const errors: string[] = [];
      const { context, page } = await openPage(browser, 'about:blank');
      page.on('console', (m) => {
        if (m.type() === 'error' && !/WebSocket|ws:|Failed to load resource/.test(m.text())) errors.push(m.text());
      });
      // The page's clock runs on by itself, and the test can skip ahead past a refresh.
      await page.clock.install();
      await page.goto(`${stub.url}/#/camera/${id}`);
      try {
        await waitFor(async () => (await page.locator('.camera-title').textContent()) !== id, 5000, 'the camera');
        await waitFor(() => stub.count(new RegExp(`/${id}/recordings$`)) >= 1, 5000, 'the recordings asked for once');
        // The refusal taken in before the clock skips ahead: else the request in flight would time out
        // on the skipped clock, and the refresh ask again, as it should.
        if (id === 'secret') await page.locator('.timeline-panel[data-refused]').waitFor({ state: 'attached' });
        // A full refresh interval on: a panel that polled would ask again now, alongside the camera list's
        // own poll (due sooner, so sent first).
        const lists = stub.count(/^\/api\/cameras$/);
        await page.clock.fastForward(REFRESH_MS);
        await waitFor(() => stub.count(/^\/api\/cameras$/) > lists, 5000, 'the camera list polled again');
        await page.waitForTimeout(200);
        assert.equal(await page.locator('.timeline-panel').isVisible(), false, `${id}: no timeline`);
        assert.equal(stub.count(new RegExp(`/${id}/recordings$`)), 1, `${id}: asked once, not polled`);
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    }
  });

  it('works on a phone: portrait, no sideways scrolling, a tap plays, a drag scrubs, dark theme', async () => {
    const { context, page } = await openPage(browser, `${stub.url}/#/camera/front`, {
      width: 390,
      height: 844,
      deviceScaleFactor: 2,
      isMobile: true,
      colorScheme: 'dark',
    });
    try {
      await waitFor(async () => (await page.locator('.timeline-range').count()) === 2, 10_000, 'the ranges');
      const sideways = () =>
        page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
      const wide = () =>
        page.evaluate(() =>
          [...document.querySelectorAll('body *')]
            .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
            .map((e) => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)
            .slice(0, 5)
            .join(', '),
        );
      assert.equal(await sideways(), false, `no sideways scrolling: ${await wide()}`);
      const bar = await page.locator('.timeline-bar').boundingBox();
      assert.ok(bar && bar.x >= 0 && bar.x + bar.width <= 390, 'the timeline fits the width');
      assert.ok(bar.height >= 40, 'tall enough to tap');
      for (const name of ['Live', 'Speed 8×', 'Select', 'Previous day']) {
        const box = await page.getByRole('button', { name }).boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${name} on screen`);
      }
      const point = await pointAt(page, 1, 0.5);
      await page.touchscreen.tap(point.x, point.y);
      await waitFor(async () => (await playback(page)).currentTime > 0.3, 15_000, 'a tap plays');
      assert.equal(await sideways(), false, `still no sideways scrolling while playing: ${await wide()}`);
      await page.getByRole('button', { name: 'Speed 8×' }).tap();
      assert.equal((await playback(page)).rate, 8);
      await page.screenshot({ path: artifactPath('timeline-phone-390x844-dark.png') });
      await page.getByRole('button', { name: 'Live' }).tap();
      assert.equal((await playback(page)).hidden, true);

      // A finger dragged along the timeline scrubs: the preview follows it, and where it lifts plays.
      const cdp = await context.newCDPSession(page);
      const from = await pointAt(page, 1, 0.2);
      const to = await pointAt(page, 1, 0.7);
      const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', x: number, y: number) =>
        cdp.send('Input.dispatchTouchEvent', {
          type,
          touchPoints: type === 'touchEnd' ? [] : [{ x, y }],
        });
      await touch('touchStart', from.x, from.y);
      for (let i = 1; i <= 10; i++) await touch('touchMove', from.x + ((to.x - from.x) * i) / 10, from.y);
      await waitFor(
        async () => page.locator('.timeline-preview-image').evaluate((img) => !(img as HTMLImageElement).hidden),
        5000,
        'the preview picture under the finger',
      );
      const box = await page.locator('.timeline-preview').boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390, 'the preview on screen');
      await touch('touchEnd', to.x, to.y);
      await waitFor(async () => (await playback(page)).currentTime > 0.3, 15_000, 'playing where the finger lifted');
      const r = stub.ranges[1]!;
      const expected = r.start + (r.end - r.start) * 0.7;
      const shown = (await playback(page)).time;
      assert.ok(Math.abs(shown - expected) < 3 * MINUTE, `from where it lifted: ${(shown - expected) / 1000} s off`);
      assert.equal(await page.locator('.timeline-preview').isVisible(), false, 'the preview goes with the finger');
    } finally {
      await context.close();
    }
  });
});
