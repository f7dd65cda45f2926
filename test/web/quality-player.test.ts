/**
 * <camrelay-player> and H.264 qualities in real Chromium, from a real server (a 960x540 testsrc camera
 * encoded by camrelay): the web app's grid tiles ask for the sub-stream (640x360: it comes from the encoder the
 * camera needs for H.264 anyway) and the single view for
 * `auto` (main at first); the `quality` attribute pins one, and the element says what it gets and why (its
 * stats, the overlay, `currentQuality`, the `quality` event). Behaviour only, no speed thresholds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { PlayerStats } from '../../web/src/player/types.js';
import { startServer, waitFor, type TestServer } from '../support/index.js';
import { launchBrowser, openPage, playerStats } from './browser.js';

function waitStats(page: Page, selector: string, check: (s: PlayerStats) => boolean, what: string) {
  return waitFor(
    async () => {
      const s = await playerStats(page, selector).catch(() => undefined);
      return s && check(s) ? s : undefined;
    },
    30_000,
    what,
  );
}

describe('<camrelay-player> qualities', () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    server = await startServer(['cam=testsrc?size=960x540&fps=15']);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the grid’s tiles ask for the sub-stream; the single view asks for auto', async () => {
    const { context, page } = await openPage(browser, 'about:blank');
    try {
      const sockets: string[] = [];
      page.on('websocket', (ws) => sockets.push(ws.url()));
      await page.goto(server.url);
      // Until the camera has run once its codec is unknown and the tile plays main; then it reconnects for the
      // sub-stream. Its counters carry over the reconnect, so count frames from the moment it says `sub`.
      const switched = await waitStats(
        page,
        '.tile camrelay-player',
        (s) => s.online && s.quality === 'sub',
        'the tile asks for the sub-stream',
      );
      const tile = await waitStats(
        page,
        '.tile camrelay-player',
        (s) => s.quality === 'sub' && s.displayed >= switched.displayed + 5,
        'the tile plays the sub-stream',
      );
      assert.equal(tile.codec, 'h264', JSON.stringify(tile));
      assert.equal(tile.quality, 'sub');
      assert.equal(tile.qualityReason, 'pinned');
      assert.deepEqual([tile.width, tile.height], [640, 360]);
      assert.equal(new URL(sockets.at(-1)!).searchParams.get('quality'), 'sub');

      await page.goto(`${server.url}/#/camera/cam`);
      const single = await waitStats(
        page,
        '.stage camrelay-player',
        (s) => s.online && s.displayed >= 5,
        'the single view plays',
      );
      assert.equal(single.quality, 'main', JSON.stringify(single));
      assert.equal(single.qualityReason, 'start');
      assert.deepEqual([single.width, single.height], [960, 540]);
      assert.equal(new URL(sockets.at(-1)!).searchParams.get('quality'), 'auto');
    } finally {
      await context.close();
    }
  });

  it('quality="keyframes" pins it; stats, overlay, currentQuality and the quality event say so', async () => {
    const { context, page } = await openPage(browser, `${server.url}/#/camera/cam`);
    try {
      await page.evaluate((src) => {
        const w = window as unknown as { qualityEvents: unknown[] };
        w.qualityEvents = [];
        const player = document.createElement('camrelay-player');
        player.id = 'pinned';
        player.setAttribute('src', src);
        player.setAttribute('camera', 'cam');
        player.setAttribute('quality', 'keyframes');
        player.setAttribute('stats', '');
        player.style.cssText = 'display: block; width: 320px; height: 180px';
        player.addEventListener('quality', (e) => w.qualityEvents.push((e as CustomEvent).detail));
        document.body.append(player);
      }, server.url);
      const s = await waitStats(page, '#pinned', (st) => st.online && st.displayed >= 2, 'keyframes shown');
      assert.equal(s.quality, 'keyframes', JSON.stringify(s));
      assert.equal(s.qualityReason, 'pinned');
      assert.deepEqual([s.width, s.height], [640, 360]);
      assert.equal(s.errors, 0);
      const seen = await page.evaluate(() => {
        const player = document.querySelector('#pinned') as HTMLElement & { currentQuality: unknown; quality: string };
        return {
          events: (window as unknown as { qualityEvents: unknown[] }).qualityEvents,
          current: player.currentQuality,
          attribute: player.quality,
          overlay: player.shadowRoot!.querySelector('.stats')!.textContent,
        };
      });
      assert.deepEqual(seen.events, [{ quality: 'keyframes', reason: 'pinned' }]);
      assert.deepEqual(seen.current, { quality: 'keyframes', reason: 'pinned' });
      assert.equal(seen.attribute, 'keyframes');
      assert.match(seen.overlay ?? '', /H264 · .+ · keyframes \(pinned\)\n/);
    } finally {
      await context.close();
    }
  });
});
