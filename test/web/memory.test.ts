/**
 * Four live tiles until each has displayed 400 more frames after a warm-up of 90: the page's
 * JavaScript heap, measured after a forced garbage collection, must not grow by more than 20% over
 * those frames, and neither may its DOM nodes or event listeners. Leaked frames, blobs, closures or
 * listeners per frame would show within that many frames: the window is counted in frames, not
 * seconds. The heap of the four tiles is about 2 MiB and varies by under 100 KiB over the window;
 * 1600 frames (400 a tile) leaking even 256 bytes each would grow it past the 20%, and one DOM node
 * or listener a frame would pass the node and listener bounds hundreds of times over.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { sleep, startServer, waitFor, type TestServer } from '../support/index.js';
import { launchBrowser, openPage, playerStats } from './browser.js';

const CAMERAS = ['a', 'b', 'c', 'd'];
/**
 * Frames each tile displays before the first sample (3 s at 30 fps: the players, decoders and caches in
 * their steady state), then between the first sample and the last.
 */
const WARMUP_FRAMES = 90;
const WINDOW_FRAMES = 400;

interface Sample {
  at: number;
  heap: number;
  nodes: number;
  listeners: number;
  displayed: number[];
}

async function sample(page: Page, cdp: CDPSession, t0: number): Promise<Sample> {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const counters = await cdp.send('Memory.getDOMCounters');
  const displayed: number[] = [];
  for (let i = 0; i < CAMERAS.length; i++)
    displayed.push((await playerStats(page, '.tile camrelay-player', i)).displayed);
  return {
    at: Math.round((Date.now() - t0) / 1000),
    heap: usedSize,
    nodes: counters.nodes,
    listeners: counters.jsEventListeners,
    displayed,
  };
}

describe('web viewer memory', () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    server = await startServer(CAMERAS.map((id) => `${id}=testsrc?size=320x180&fps=30`));
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it(`four tiles for ${WINDOW_FRAMES} frames each: heap within +20%, no growing DOM or listeners`, async () => {
    // Large enough that all four tiles are on screen, so all four play.
    const { context, page } = await openPage(browser, server.url, { width: 1600, height: 1000 });
    try {
      const cdp = await context.newCDPSession(page);
      const t0 = Date.now();
      await waitFor(
        async () => (await page.locator('.tile .badge', { hasText: 'Live' }).count()) === 4,
        20_000,
        'four live tiles',
      );
      const displayed = async () => {
        const shown: number[] = [];
        for (let i = 0; i < CAMERAS.length; i++) {
          shown.push((await playerStats(page, '.tile camrelay-player', i)).displayed);
        }
        return shown;
      };
      const warm = async () => (await displayed()).every((n) => n >= WARMUP_FRAMES);
      await waitFor(warm, 60_000, `${WARMUP_FRAMES} frames a tile`);
      const first = await sample(page, cdp, t0);
      const samples = [first];
      const done = (s: Sample) => s.displayed.every((n, i) => n - first.displayed[i]! >= WINDOW_FRAMES);
      // At most 120 s: a page that stalls fails on the frame count below instead of running on.
      while (!done(samples.at(-1)!) && Date.now() - t0 < 120_000) {
        await sleep(1000);
        samples.push(await sample(page, cdp, t0));
      }
      const last = samples[samples.length - 1]!;
      const report = samples
        .map(
          (s) =>
            `${s.at}s: heap ${(s.heap / 1024 / 1024).toFixed(2)} MiB, ${s.nodes} nodes, ${s.listeners} listeners, displayed ${s.displayed.join('/')}`,
        )
        .join('\n');
      console.log(report);
      // The tiles really played all along: a stalled page would pass trivially.
      for (let i = 0; i < CAMERAS.length; i++) {
        const shown = last.displayed[i]! - first.displayed[i]!;
        assert.ok(shown >= WINDOW_FRAMES, `tile ${i} displayed ${shown} frames in ${last.at - first.at} s\n${report}`);
      }
      assert.ok(last.heap <= first.heap * 1.2, `heap grew from ${first.heap} to ${last.heap} bytes\n${report}`);
      assert.ok(last.nodes <= first.nodes * 1.2 + 50, `DOM nodes grew from ${first.nodes} to ${last.nodes}\n${report}`);
      assert.ok(
        last.listeners <= first.listeners + 10,
        `listeners grew from ${first.listeners} to ${last.listeners}\n${report}`,
      );
    } finally {
      await context.close();
    }
  });
});
