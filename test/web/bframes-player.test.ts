/**
 * <camrelay-player> in real Chromium with a camera that sends B-frames (the RTSP fixture, x264 with
 * bframes=2), passed through: the units come in decode order with their composition offsets in the
 * header. WebCodecs is fed decode order with presentation timestamps and shows the pictures in
 * display order (its decoder's output timestamps only grow); MSE plays the same stream without an error.
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

const missing = rtspCameraMissing();
const skip = skipOutsideCi(missing);

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

/**
 * Records the timestamps of the chunks every VideoDecoder is given and of the frames it outputs (a string:
 * the test runner's transform would put helpers of its own into a function's source).
 */
const RECORD_DECODER_TIMESTAMPS = `
  const Original = globalThis.VideoDecoder;
  const log = { fed: [], out: [] };
  globalThis.decoderLog = log;
  globalThis.VideoDecoder = class extends Original {
    constructor(init) {
      super({ ...init, output: (frame) => { log.out.push(frame.timestamp); init.output(frame); } });
    }
    decode(chunk) {
      log.fed.push(chunk.timestamp);
      super.decode(chunk);
    }
  };
`;

describe('<camrelay-player> with a B-frame camera', { skip }, () => {
  let cam: RtspCamera;
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    requireInCi(missing);
    cam = await startRtspCamera({ width: 320, height: 240, fps: 30, keyint: 30, bframes: 2 });
    server = await startServer([`cam=${cam.url}`]);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await cam?.stop();
  });

  it('webcodecs: decode order in, display order out; mse: plays without an error', async () => {
    const { context, page } = await openPage(browser, 'about:blank');
    try {
      await page.addInitScript(RECORD_DECODER_TIMESTAMPS);
      await page.goto(`${server.url}/#/camera/cam`);
      await page.evaluate(() => document.querySelector('.stage camrelay-player')!.setAttribute('path', 'webcodecs'));
      const s = await waitStats(page, (st) => st.online && st.path === 'webcodecs' && st.displayed >= 60, 'frames');
      assert.equal(s.codec, 'h264');
      assert.equal(s.errors, 0, JSON.stringify(s));
      await waitForMovingPicture(page, '.stage camrelay-player', { shadow: true });
      const log = await page.evaluate(
        () => (globalThis as unknown as { decoderLog: { fed: number[]; out: number[] } }).decoderLog,
      );
      const fed = log.fed.slice(-50);
      assert.ok(
        fed.some((t, i) => i > 0 && t < fed[i - 1]!),
        'chunks carry presentation times, out of order in decode order (B-frames)',
      );
      const out = log.out.slice(-40);
      for (let i = 1; i < out.length; i++)
        assert.ok(out[i]! > out[i - 1]!, `output out of order at ${i}: ${out.join(' ')}`);

      await page.evaluate(() => document.querySelector('.stage camrelay-player')!.setAttribute('path', 'mse'));
      const m = await waitStats(page, (st) => st.online && st.path === 'mse' && st.displayed >= 30, 'mse frames');
      assert.equal(m.errors, 0, JSON.stringify(m));
    } finally {
      await context.close();
    }
  });
});
