/**
 * <camrelay-player> in real Chromium with an H.265 camera (the RTSP fixture with x265enc): it asks
 * for H.265 only where its decoding path says it can decode it (WebCodecs' isConfigSupported,
 * MSE's isTypeSupported), and plays whatever the server then sends. Headless Chromium here has no
 * H.265 decoder, so it asks for H.264 and plays the H.264 camrelay makes from the camera's H.265.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { PlayerStats } from '../../web/src/player/types.js';
import {
  requireInCi,
  rtspCameraMissing,
  skipOutsideCi,
  startRtspCamera,
  startServer,
  waitFor,
  type RtspCamera,
  type TestServer,
} from '../support/index.js';
import { launchBrowser, openPage, playerStats, waitForMovingPicture } from './browser.js';

const missing = rtspCameraMissing('h265');
const skip = skipOutsideCi(missing);
const PROBE = 'hvc1.1.6.L93.B0';

function waitStats(page: Page, check: (s: PlayerStats) => boolean, what: string): Promise<PlayerStats> {
  return waitFor(
    async () => {
      const s = await playerStats(page).catch(() => undefined);
      return s && check(s) ? s : undefined;
    },
    30_000,
    what,
  );
}

describe('<camrelay-player> with an H.265 camera', { skip }, () => {
  let cam: RtspCamera;
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    requireInCi(missing);
    cam = await startRtspCamera({ width: 320, height: 240, fps: 15, keyint: 15, codec: 'h265' });
    server = await startServer([`cam=${cam.url}`]);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await cam?.stop();
  });

  for (const path of ['webcodecs', 'mse'] as const) {
    it(`${path}: asks for H.265 only if the browser decodes it, and plays what comes`, async (t) => {
      const { context, page } = await openPage(browser, 'about:blank');
      try {
        const sockets: string[] = [];
        page.on('websocket', (ws) => sockets.push(ws.url()));
        await page.goto(`${server.url}/#/camera/cam`);
        const decodesH265 = await page.evaluate(
          async ({ path, codec }) =>
            path === 'webcodecs'
              ? (await VideoDecoder.isConfigSupported({ codec })).supported === true
              : MediaSource.isTypeSupported(`video/mp4; codecs="${codec}"`),
          { path, codec: PROBE },
        );
        t.diagnostic(`this Chromium decodes H.265 through ${path}: ${decodesH265}`);
        await page.evaluate((p) => document.querySelector('.stage camrelay-player')!.setAttribute('path', p), path);
        const s = await waitStats(
          page,
          (st) => st.online && st.path === path && st.displayed >= 10,
          `${path}: frames displayed`,
        );
        assert.equal(s.codec, decodesH265 ? 'h265' : 'h264', JSON.stringify(s));
        assert.equal(s.width, 320);
        assert.equal(s.errors, 0, JSON.stringify(s));
        if (path === 'webcodecs') await waitForMovingPicture(page, '.stage camrelay-player', { shadow: true });
        const asked = sockets
          .filter((u) => u.includes('/api/cameras/cam/ws'))
          .map((u) => new URL(u))
          .find((u) => u.searchParams.get('player') === path)!;
        assert.equal(asked.searchParams.get('codec'), decodesH265 ? 'h265,h264,jpeg' : 'h264,jpeg');
        assert.equal(server.server.registry.get('cam')!.native, 'h265');
      } finally {
        await context.close();
      }
    });
  }
});
