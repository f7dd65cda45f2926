/**
 * The viewer page in a real browser: the grid of every camera, the single
 * view, the layouts from phone to wall screen in light and dark, and what the
 * page says when the server goes away.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startServer, waitFor, type TestServer } from '../support/index.js';
import { artifactPath, REPO, UPDATE_DOCS } from './artifacts.js';
import { launchBrowser, openPage, playerStats, waitForMovingPicture } from './browser.js';

const LIVE = [
  { id: 'front', name: 'Front door' },
  { id: 'drive', name: 'Driveway' },
  { id: 'yard', name: 'Back yard' },
];
const BROKEN = { id: 'garage', name: 'Garage' };

function configFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-web-'));
  const lines = ['cameras:'];
  for (const c of LIVE) lines.push(`  - id: ${c.id}`, `    name: ${c.name}`, '    source: testsrc?size=640x360&fps=15');
  // A file that is not there: ffmpeg fails at once, the camera goes offline with a reason.
  lines.push(`  - id: ${BROKEN.id}`, `    name: ${BROKEN.name}`, `    source: file:${join(dir, 'missing.mjpeg')}`);
  const path = join(dir, 'camrelay.yaml');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/** Text of each tile's badge, by camera id. */
function badges(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const out: Record<string, string> = {};
    for (const tile of document.querySelectorAll<HTMLElement>('.tile'))
      out[tile.dataset.camera ?? '?'] = tile.querySelector('.badge')?.textContent ?? '';
    return out;
  });
}

/** Number of distinct tile columns (by left edge) and whether the page scrolls sideways. */
function layout(page: Page): Promise<{ columns: number; tiles: number; sideways: boolean }> {
  return page.evaluate(() => {
    const lefts = new Set(
      [...document.querySelectorAll('.tile')].map((t) => Math.round(t.getBoundingClientRect().left)),
    );
    const root = document.documentElement;
    return {
      columns: lefts.size,
      tiles: document.querySelectorAll('.tile').length,
      sideways: root.scrollWidth > root.clientWidth,
    };
  });
}

async function waitAllLive(page: Page): Promise<void> {
  await waitFor(
    async () => {
      const b = await badges(page);
      return LIVE.every((c) => b[c.id] === 'Live') && b[BROKEN.id] === 'Offline';
    },
    20_000,
    'three live tiles and one offline',
  );
}

describe('web viewer: the grid and the single view', () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    server = await startServer([], configFile());
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close().catch(() => {}); // the last test closed it already
  });

  it('shows every configured camera as a tile whose picture moves', async () => {
    const { context, page } = await openPage(browser, server.url);
    try {
      await waitFor(async () => (await page.locator('.tile').count()) === 4, 10_000, 'four tiles');
      const names = await page.locator('.tile-name').allTextContents();
      assert.deepEqual(names, [...LIVE.map((c) => c.name), BROKEN.name], 'in the configured order, by name');
      await waitAllLive(page);
      for (let i = 0; i < LIVE.length; i++) {
        const [a, b] = await waitForMovingPicture(page, '.tile camrelay-player', { index: i, shadow: true });
        assert.ok(a.colours >= 4 && b.checksum !== a.checksum, `tile ${i} shows a moving picture`);
        // A tile may be between two connections (its quality follows the camera's details, which the page
        // refreshes): it is online again soon.
        let stats = await playerStats(page, '.tile camrelay-player', i);
        await waitFor(
          async () => (stats = await playerStats(page, '.tile camrelay-player', i)).online,
          10_000,
          `tile ${i} online`,
        );
        assert.equal(stats.transport, 'ws');
        assert.equal(stats.width, 640);
        assert.equal(stats.height, 360);
      }
      // The tile's caption carries the player's own measurements.
      await waitFor(
        async () =>
          /\d+ fps · \d+ ms/.test((await page.locator('.tile[data-camera=front] .tile-rate').textContent()) ?? ''),
        5000,
        'fps and latency in the caption',
      );
      const summary = await page.locator('.summary').textContent();
      assert.equal(summary, '4 cameras · 3 live');
    } finally {
      await context.close();
    }
  });

  it('marks a camera that cannot be read as offline, saying since when and why', async () => {
    const { context, page } = await openPage(browser, server.url);
    try {
      await waitAllLive(page);
      const note = page.locator(`.tile[data-camera=${BROKEN.id}] .tile-note`);
      await waitFor(
        async () => /^Offline since .+ — .+/.test((await note.textContent()) ?? ''),
        10_000,
        'the offline note',
      );
      const stats = await playerStats(page, `.tile[data-camera=${BROKEN.id}] camrelay-player`);
      assert.equal(stats.state, 'offline');
      assert.equal(stats.online, false);
      assert.ok(stats.offlineSince && stats.offlineSince <= Date.now(), 'offline since a moment in the past');
      assert.ok(stats.offlineReason, 'with the reason');
      // NO SIGNAL shows: over H.264 (this secure page decodes it with WebCodecs) the player says it,
      // the server sending no picture; a JPEG viewer gets the server's NO SIGNAL picture instead.
      assert.equal(stats.codec, 'h264');
      await waitFor(
        async () =>
          page.evaluate((sel) => {
            const message = document.querySelector(sel)?.shadowRoot?.querySelector('.message') as HTMLElement | null;
            return !!message && !message.hidden && /NO SIGNAL/.test(message.textContent ?? '');
          }, `.tile[data-camera=${BROKEN.id}] camrelay-player`),
        10_000,
        'NO SIGNAL',
      );
    } finally {
      await context.close();
    }
  });

  it('opens the single view from a tile: stats overlay, snapshot download, fullscreen, and back', async () => {
    const { context, page } = await openPage(browser, server.url);
    try {
      await page.locator('.tile[data-camera=drive]').click();
      await waitFor(
        async () => (await page.evaluate(() => location.hash)) === '#/camera/drive',
        5000,
        'the camera route',
      );
      await waitFor(async () => (await page.locator('.camera-title').textContent()) === 'Driveway', 5000, 'the title');
      await waitFor(
        async () => (await playerStats(page, '.stage camrelay-player')).displayed >= 5,
        10_000,
        'frames in the single view',
      );
      assert.equal(await page.locator('.camera-view .badge').textContent(), 'Live');

      // The stats overlay is on by default and shows the player's measurements; the button turns it off.
      const overlay = page.locator('.stage camrelay-player').locator('.stats');
      await waitFor(
        async () =>
          /fps · latency \d+ ms\ndropped \d+ · skipped \d+ · 640×360\nH264 · .+ · decode .+\nWebCodecs · WebSocket/.test(
            (await overlay.textContent()) ?? '',
          ),
        5000,
        'the stats overlay',
      );
      await page.getByRole('button', { name: 'Stats' }).click();
      assert.equal(await overlay.isVisible(), false, 'stats overlay hidden');
      await page.getByRole('button', { name: 'Stats' }).click();
      assert.equal(await overlay.isVisible(), true, 'stats overlay shown again');

      // The snapshot link downloads a JPEG named after the camera and the time.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Snapshot' }).click(),
      ]);
      assert.match(download.suggestedFilename(), /^drive-\d{8}-\d{6}\.jpg$/);
      const head = await page.request.get(download.url());
      assert.equal(head.status(), 200);
      assert.equal(head.headers()['content-type'], 'image/jpeg');

      await page.getByRole('button', { name: 'Fullscreen' }).click();
      await waitFor(
        async () => page.evaluate(() => document.querySelector('.stage')?.classList.contains('is-fullscreen') ?? false),
        5000,
        'fullscreen',
      );
      await page.getByRole('button', { name: 'Exit fullscreen' }).click();
      await waitFor(
        async () => page.evaluate(() => !document.querySelector('.stage')?.classList.contains('is-fullscreen')),
        5000,
        'out of fullscreen',
      );

      await page.getByRole('link', { name: 'All cameras' }).click();
      await waitFor(async () => (await page.locator('.tile').count()) === 4, 5000, 'the grid again');
    } finally {
      await context.close();
    }
  });

  it('lays out from a phone to a wall screen, in light and dark, without sideways scrolling', async () => {
    const shots: {
      name: string;
      width: number;
      height: number;
      scheme: 'light' | 'dark';
      scale: number;
      columns: (n: number) => boolean;
      docs?: string;
    }[] = [
      {
        name: 'grid-1280x800-light.png',
        width: 1280,
        height: 800,
        scheme: 'light',
        scale: 1,
        columns: (n) => n === 3,
        docs: 'screenshot-grid.png',
      },
      {
        name: 'phone-390x844-dark.png',
        width: 390,
        height: 844,
        scheme: 'dark',
        scale: 2,
        columns: (n) => n === 1,
        docs: 'screenshot-phone.png',
      },
      { name: 'wall-2560x1440-dark.png', width: 2560, height: 1440, scheme: 'dark', scale: 1, columns: (n) => n >= 4 },
    ];
    // Each layout (desktop, phone, wall) once and each theme on a desktop and a phone: a layout does not
    // depend on the theme (both themes share every size and spacing), so the other pairs would show nothing new.
    // One page per device (scale, touch), resized and switched between light and dark for each of its
    // shots: the same layouts and pictures as a page per shot, without loading the grid for each.
    const devices = [...new Set(shots.map((shot) => shot.scale))];
    // The devices' pages open together: the second one's players connect while the first is shot.
    const pages = await Promise.all(
      devices.map((scale) => {
        const first = shots.find((shot) => shot.scale === scale)!;
        return openPage(browser, server.url, {
          width: first.width,
          height: first.height,
          colorScheme: first.scheme,
          deviceScaleFactor: scale,
          isMobile: first.width < 600,
        });
      }),
    );
    try {
      for (const [d, scale] of devices.entries()) {
        const { page } = pages[d]!;
        for (const shot of shots.filter((one) => one.scale === scale)) {
          await page.setViewportSize({ width: shot.width, height: shot.height });
          await page.emulateMedia({ colorScheme: shot.scheme });
          await waitAllLive(page);
          const l = await layout(page);
          assert.equal(l.tiles, 4);
          assert.ok(shot.columns(l.columns), `${shot.name}: ${l.columns} columns`);
          assert.equal(l.sideways, false, `${shot.name}: no sideways scrolling`);
          // Captions filled in with steady rates (past the burst of the first second), offline note
          // shown: the picture a person would see.
          const first = '.tile camrelay-player';
          const played = async () => (await playerStats(page, first, 0)).displayed >= 45;
          await waitFor(played, 10_000, 'three seconds of video');
          await waitFor(async () => (await page.locator('.tile-rate').first().textContent()) !== '', 5000, 'the rate');
          const note = page.locator(`.tile[data-camera=${BROKEN.id}] .tile-note`);
          await waitFor(async () => note.isVisible(), 10_000, 'the offline note');
          const path = artifactPath(shot.name);
          await page.screenshot({ path });
          if (UPDATE_DOCS && shot.docs) copyFileSync(path, join(REPO, 'docs', shot.docs));
        }
      }
    } finally {
      await Promise.all(pages.map(({ context }) => context.close()));
    }
  });

  it('fits the single view to a phone in portrait and in landscape', async () => {
    // One page, turned: as a phone does it.
    const url = `${server.url}/#/camera/front`;
    const options = { width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, colorScheme: 'dark' } as const;
    const { context, page } = await openPage(browser, url, options);
    try {
      for (const [width, height] of [
        [390, 844],
        [844, 390],
      ] as const) {
        await page.setViewportSize({ width, height });
        await waitFor(async () => (await playerStats(page, '.stage camrelay-player')).displayed >= 3, 10_000, 'frames');
        const box = await page.locator('.stage').boundingBox();
        assert.ok(box, 'the stage is laid out');
        const room = `the picture gets the room: ${JSON.stringify(box)} of ${width}x${height}`;
        assert.ok(box.width >= width - 1 && box.height >= height * 0.6, room);
        const l = await page.evaluate(
          () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
        );
        assert.equal(l, false, 'no sideways scrolling');
        // The canvas is backed by device pixels: sharp on a 2x screen (resized with the next frame drawn).
        const canvasWidth = () =>
          page.evaluate(
            () => document.querySelector('.stage camrelay-player')?.shadowRoot?.querySelector('canvas')?.width ?? 0,
          );
        const sharp = async () => Math.abs((await canvasWidth()) - box.width * 2) <= 2;
        const expected = `a canvas of ${box.width * 2} px for ${box.width} CSS px at 2x`;
        await waitFor(sharp, 5000, `${expected} (${await canvasWidth()} px before)`);
        await page.screenshot({ path: artifactPath(`camera-${width}x${height}-dark.png`) });
      }
    } finally {
      await context.close();
    }
  });

  // Last: it stops the server.
  it('says plainly when the server cannot be reached', async () => {
    const { context, page } = await openPage(browser, 'about:blank');
    // The page's clock runs on by itself, and the test can skip ahead to the camera list's next poll.
    await page.clock.install();
    await page.goto(server.url);
    try {
      await waitAllLive(page);
      assert.equal(await page.locator('.banner').isVisible(), false);
      await server.close();
      // Five seconds on (the page polls the camera list this often while the server answers).
      await page.clock.fastForward(5000);
      await waitFor(async () => page.locator('.banner').isVisible(), 5000, 'the banner');
      assert.match(
        (await page.locator('.banner').textContent()) ?? '',
        /Can’t reach the camrelay server\..*Last contact/,
      );
      await waitFor(
        async () => Object.values(await badges(page)).every((b) => b === 'Reconnecting'),
        10_000,
        'every tile reconnecting',
      );
      await page.screenshot({ path: artifactPath('server-unreachable.png') });
    } finally {
      await context.close();
    }
  });
});
