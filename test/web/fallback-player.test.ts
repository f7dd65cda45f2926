/**
 * <camrelay-player> on the next decoding path when one is missing or keeps failing mid-stream, in
 * real Chromium against a real server: WebCodecs is removed from the page, or the failure is
 * injected into the browser's own decoder (WebCodecs' VideoDecoder.decode, MSE's
 * SourceBuffer.appendBuffer throw after the first pictures), and the player must move to the next
 * path (web/src/player/fallback.ts) and show pictures again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { PlayerStats } from '../../web/src/player/types.js';
import { startServer, waitFor, type TestServer } from '../support/index.js';
import {
  allowOriginsConfig,
  launchBrowser,
  openPage,
  playerStats,
  serveHtml,
  waitForMovingPicture,
  type OtherOrigin,
} from './browser.js';

/** A name that is not loopback, so its pages are not a secure context; Chromium resolves it to 127.0.0.1. */
const INSECURE_HOST = 'camrelay.test';
/**
 * Units the browser's decoder takes before the injected failure: some pictures first, mid-stream. Three
 * seconds of them: the test must see the first path play before it fails, and a loaded machine's MSE
 * takes a while to show its first pictures.
 */
const GOOD_UNITS = 90;

/** An embed page whose script, run before the player's, breaks one of the browser's decoders; the player's `error` events are kept. */
function embedPage(server: string, breakDecoder: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>fallback</title>
<script>window.errors = []; (() => { ${breakDecoder} })();</script></head><body>
<script type="module" src="${server}/player.js"></script>
<camrelay-player id="p" src="${server}" camera="cam" style="width: 640px; height: 360px"></camrelay-player>
<script>document.getElementById('p').addEventListener('error', (e) => window.errors.push(e.detail.message));</script>
</body></html>`;
}

/** VideoDecoder.decode throws once GOOD_UNITS chunks were decoded (as a decoder that breaks down mid-stream). */
const BREAK_WEBCODECS = `
  const Native = window.VideoDecoder;
  let chunks = 0;
  window.VideoDecoder = class extends Native {
    decode(chunk) {
      if (++chunks > ${GOOD_UNITS}) throw new DOMException('injected decode failure', 'EncodingError');
      super.decode(chunk);
    }
  };`;

/** SourceBuffer.appendBuffer throws once GOOD_UNITS segments were appended. */
const BREAK_MSE = `
  const append = SourceBuffer.prototype.appendBuffer;
  let appended = 0;
  SourceBuffer.prototype.appendBuffer = function (data) {
    if (++appended > ${GOOD_UNITS}) throw new DOMException('injected append failure', 'InvalidStateError');
    return append.call(this, data);
  };`;

/** A secure page whose browser has no WebCodecs. */
const NO_WEBCODECS = `delete window.VideoDecoder; delete window.EncodedVideoChunk;`;

function waitStats(page: Page, check: (s: PlayerStats) => boolean, what: string, timeoutMs = 30_000) {
  return waitFor(
    async () => {
      const s = await playerStats(page).catch(() => undefined);
      return s && check(s) ? s : undefined;
    },
    timeoutMs,
    what,
  );
}

const errorsOf = (page: Page) => page.evaluate(() => (window as unknown as { errors: string[] }).errors);

describe('<camrelay-player> falling back to the next decoding path', () => {
  let server: TestServer;
  let browser: Browser;
  let other: OtherOrigin;
  let insecureUrl: string;

  before(async () => {
    other = await serveHtml();
    insecureUrl = other.url.replace('127.0.0.1', INSECURE_HOST);
    server = await startServer(
      ['cam=testsrc?size=320x240&fps=15'],
      allowOriginsConfig([other.origin, new URL(insecureUrl).origin]),
    );
    browser = await launchBrowser([`--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`]);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await other?.close();
  });

  it('a secure page without WebCodecs plays through MSE from the start', async () => {
    other.html = embedPage(server.url, NO_WEBCODECS);
    const { context, page } = await openPage(browser, other.url);
    try {
      assert.equal(await page.evaluate(() => isSecureContext && !('VideoDecoder' in window)), true);
      const s = await waitStats(page, (st) => st.online && st.displayed >= 10, 'MSE pictures');
      assert.equal(s.path, 'mse', JSON.stringify(s));
      assert.equal(s.codec, 'h264');
      assert.equal(s.reconnects, 0, 'chosen before connecting, not after a failure');
      assert.deepEqual(await errorsOf(page), []);
    } finally {
      await context.close();
    }
  });

  it('WebCodecs that keeps failing: gives it up for MSE and plays on', async () => {
    other.html = embedPage(server.url, BREAK_WEBCODECS);
    const { context, page } = await openPage(browser, other.url);
    try {
      const first = await waitStats(page, (s) => s.path === 'webcodecs' && s.displayed >= 5, 'WebCodecs pictures');
      assert.equal(first.codec, 'h264');
      const s = await waitStats(page, (st) => st.path === 'mse' && st.online, 'the MSE path after WebCodecs failed');
      const errors = await errorsOf(page);
      assert.ok(
        errors.some((e) => /webcodecs decoder: .*injected decode failure/.test(e)),
        `the decoder's failures are told: ${errors.join(' | ')}`,
      );
      assert.ok(errors.includes('the webcodecs path keeps failing; trying mse'), errors.join(' | '));
      assert.ok(s.reconnects >= 1, `on a new connection: ${JSON.stringify(s)}`);
      const later = await waitStats(
        page,
        (st) => st.path === 'mse' && st.displayed >= s.displayed + 10,
        'MSE pictures',
      );
      assert.equal(later.codec, 'h264');
      assert.equal(later.width, 320);
      const video = await page.evaluate(() => {
        const v = document.querySelector('#p')!.shadowRoot!.querySelector('video')!;
        return { hidden: v.hidden, width: v.videoWidth, error: v.error?.message ?? null };
      });
      assert.deepEqual(video, { hidden: false, width: 320, error: null });
    } finally {
      await context.close();
    }
  });

  it('MSE that keeps failing (a page that is not a secure context): gives it up for JPEG and plays on', async () => {
    other.html = embedPage(server.url, BREAK_MSE);
    const { context, page } = await openPage(browser, insecureUrl);
    try {
      assert.equal(await page.evaluate(() => isSecureContext), false);
      await waitStats(page, (s) => s.path === 'mse' && s.displayed >= 5, 'MSE pictures');
      const s = await waitStats(
        page,
        (st) => st.path === 'jpeg' && st.codec === 'jpeg' && st.online,
        'the JPEG path after MSE failed',
      );
      const errors = await errorsOf(page);
      assert.ok(
        errors.some((e) => /mse decoder: .*injected append failure/.test(e)),
        `the decoder's failures are told: ${errors.join(' | ')}`,
      );
      assert.ok(errors.includes('the mse path keeps failing; trying jpeg'), errors.join(' | '));
      await waitStats(page, (st) => st.path === 'jpeg' && st.displayed >= s.displayed + 10, 'JPEG pictures');
      await waitForMovingPicture(page, '#p', { shadow: true });
    } finally {
      await context.close();
    }
  });
});
