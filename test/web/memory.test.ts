/**
 * Four live tiles for a minute: the page's JavaScript heap, measured after a
 * forced garbage collection, must not grow by more than 20% from the 10 s
 * mark, and neither may its DOM nodes or event listeners. Leaked frames,
 * blobs, closures or listeners per frame would show here within a minute at
 * 4 × 30 frames a second.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { sleep, startServer, waitFor, type TestServer } from '../support/index.js';
import { launchBrowser, openPage, playerStats } from './browser.js';

const CAMERAS = ['a', 'b', 'c', 'd'];

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
  for (let i = 0; i < CAMERAS.length; i++) displayed.push((await playerStats(page, '.tile camrelay-player', i)).displayed);
  return { at: Math.round((Date.now() - t0) / 1000), heap: usedSize, nodes: counters.nodes, listeners: counters.jsEventListeners, displayed };
}

describe('web viewer memory', () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    server = await startServer(CAMERAS.map((id) => `${id}=testsrc?size=640x360&fps=30`));
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('four tiles for 60 s: heap within +20% of the 10 s mark, no growing DOM or listeners', async () => {
    // Large enough that all four tiles are on screen, so all four play.
    const { context, page } = await openPage(browser, server.url, { width: 1600, height: 1000 });
    try {
      const cdp = await context.newCDPSession(page);
      const t0 = Date.now();
      await waitFor(async () => (await page.locator('.tile .badge', { hasText: 'Live' }).count()) === 4, 20_000, 'four live tiles');
      await sleep(Math.max(0, 10_000 - (Date.now() - t0)));
      const first = await sample(page, cdp, t0);
      const samples = [first];
      while (Date.now() - t0 < 60_000) {
        await sleep(Math.min(10_000, 60_000 - (Date.now() - t0)));
        samples.push(await sample(page, cdp, t0));
      }
      const last = samples[samples.length - 1]!;
      const report = samples.map((s) => `${s.at}s: heap ${(s.heap / 1024 / 1024).toFixed(2)} MiB, ${s.nodes} nodes, ${s.listeners} listeners, displayed ${s.displayed.join('/')}`).join('\n');
      console.log(report);
      // The tiles really played all along: a stalled page would pass trivially.
      for (let i = 0; i < CAMERAS.length; i++) {
        const shown = last.displayed[i]! - first.displayed[i]!;
        assert.ok(shown >= 50 * 10, `tile ${i} displayed ${shown} frames in ${last.at - first.at} s\n${report}`);
      }
      assert.ok(last.heap <= first.heap * 1.2, `heap grew from ${first.heap} to ${last.heap} bytes\n${report}`);
      assert.ok(last.nodes <= first.nodes * 1.2 + 50, `DOM nodes grew from ${first.nodes} to ${last.nodes}\n${report}`);
      assert.ok(last.listeners <= first.listeners + 10, `listeners grew from ${first.listeners} to ${last.listeners}\n${report}`);
    } finally {
      await context.close();
    }
  });
});
