/**
 * The viewer's motion pages in real Chromium against a real server: a recorded H.264 camera (a test
 * clip, with motion zones) whose detector runs for real (the zone editor's overlay, the grid's mark)
 * and whose events follow a hand-driven detector (test/support/observations.ts), so that they come
 * when the test says: the grid marks the camera in motion while an event is open, the events page
 * lists it (snapshot, time, zones) and filters it, a click plays its clip, the camera's timeline
 * carries its mark, and the zone editor draws a zone and writes its YAML.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { HandObservations, startServer, waitFor, type TestServer } from '../support/index.js';
import { ensureMotionClips } from '../support/motion-clips.js';
import { CHROMIUM, launchBrowser, openPage } from './browser.js';

const MISSING = existsSync(CHROMIUM) ? undefined : `no chromium at ${CHROMIUM}`;

describe('motion in the web viewer', { skip: MISSING }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const hand = new HandObservations();

  before(async () => {
    const [clip] = await ensureMotionClips(['object-zone']);
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-motion-web-'));
    const config = join(dir, 'camrelay.yaml');
    const zones = JSON.stringify(clip!.truth.zones);
    writeFileSync(
      config,
      [
        'server: { allow_anonymous: true }',
        `recordings: { path: "${join(dir, 'recordings')}", segment_duration: 2 }`,
        'cameras:',
        `  - id: yard`,
        `    name: Yard`,
        `    source: "file:${clip!.path}"`,
        '    record: true',
        `    motion: { end_after: 1, pre_roll: 1, post_roll: 1, zones: ${zones} }`,
        '  - { id: plain, name: Plain, source: "testsrc?size=320x240&fps=5" }',
      ].join('\n'),
    );
    server = await startServer([], config, { observations: hand });
    browser = await launchBrowser();
    // The clip needs recorded seconds before the event (its pre-roll).
    await waitFor(() => server.server.registry.get('yard')?.state === 'online', 20_000, 'yard online');
    await new Promise((r) => setTimeout(r, 2500));
    ({ page } = await openPage(browser, server.url));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the grid marks a camera in motion while its event is open, and not the others', async () => {
    await page.waitForSelector('.tile[data-camera="yard"]');
    const pusher = setInterval(() => hand.push('yard', true, { score: 0.05, zones: ['drive'] }), 200);
    try {
      await page.waitForSelector('.tile[data-camera="yard"] .motion-badge:not([hidden])', { timeout: 15_000 });
      assert.equal(await page.locator('.tile[data-camera="plain"] .motion-badge').isHidden(), true);
      // Long enough for a snapshot and a clip of some seconds.
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      clearInterval(pusher);
    }
    hand.push('yard', false);
    await waitFor(
      () => server.server.events.list({ cameras: ['yard'], start: 0, end: Date.now() + 1, limit: 5 })[0]?.end != null,
      10_000,
      'the event ended',
    );
  });

  it('lists the event (snapshot, time, zones), filters it, and plays its clip', async () => {
    await page.goto(`${server.url}/#/events`);
    const row = page.locator('.event').first();
    await row.waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.event').count(), 1);
    assert.match((await row.locator('.event-zones').textContent()) ?? '', /drive/);
    assert.match((await row.locator('.event-meta').textContent()) ?? '', /Yard/);
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('.event .event-thumb');
      return !!img && img.complete && img.naturalWidth > 0;
    });
    // Filters: a zone it never touched, another camera, then back.
    await page.fill('.events-zone', 'porch');
    await page.waitForFunction(() => document.querySelectorAll('.event').length === 0);
    await page.fill('.events-zone', 'dri');
    await page.waitForFunction(() => document.querySelectorAll('.event').length === 1);
    await page.selectOption('.events-camera', 'plain');
    await page.waitForFunction(() => document.querySelectorAll('.event').length === 0);
    await page.selectOption('.events-camera', '');
    await page.waitForFunction(() => document.querySelectorAll('.event').length === 1);
    await page.click('.event-open');
    await page.waitForFunction(
      () => {
        const video = document.querySelector<HTMLVideoElement>('.clip-dialog[open] video');
        return !!video && video.readyState >= 2 && video.duration > 0;
      },
      undefined,
      { timeout: 15_000 },
    );
    assert.match((await page.locator('.clip-title').textContent()) ?? '', /Yard/);
    await page.click('.clip-dialog .button:has-text("Close")');
    assert.equal(await page.locator('.clip-dialog[open]').count(), 0);
  });

  it('puts the event on the camera’s timeline and in its own list', async () => {
    await page.goto(`${server.url}/#/camera/yard`);
    await page.waitForSelector('.timeline-event', { timeout: 15_000 });
    const title = await page.locator('.timeline-event').first().getAttribute('title');
    assert.match(title ?? '', /^Motion .*drive/);
    await page.waitForSelector('.camera-view .events-panel:not([hidden]) .event');
  });

  it('the zone editor shows the configured zones and the detector, draws a zone and writes the YAML', async () => {
    await page.goto(`${server.url}/#/zones/yard`);
    await page.waitForFunction(() => document.querySelectorAll('.zone-item').length === 2, undefined, {
      timeout: 10_000,
    });
    await page.waitForFunction(() =>
      /motion|settling/i.test(document.querySelector('.zone-status')?.textContent ?? ''),
    );
    await page.waitForFunction(
      () => (document.querySelector<HTMLImageElement>('.zone-picture')?.naturalWidth ?? 0) > 0,
    );
    const box = (await page.locator('.zone-canvas').boundingBox())!;
    await page.fill('.zone-name', 'porch');
    for (const [x, y] of [
      [0.1, 0.1],
      [0.4, 0.1],
      [0.4, 0.4],
      [0.1, 0.1], // the first point again: closes it
    ] as const)
      await page.mouse.click(box.x + x * box.width, box.y + y * box.height);
    await page.waitForFunction(() => document.querySelectorAll('.zone-item').length === 3);
    const yaml = await page.locator('.zone-yaml').inputValue();
    assert.match(yaml, /^motion:\n {2}zones:\n/);
    assert.match(
      yaml,
      /- \{ name: "drive", type: include, points: \[\[0, 0\.55\], \[1, 0\.55\], \[1, 1\], \[0, 1\]\] \}/,
    );
    assert.match(
      yaml,
      /- \{ name: "porch", type: include, points: \[\[0\.1\d*, 0\.1\d*\], \[0\.[34]\d*, 0\.1\d*\], \[0\.[34]\d*, 0\.[34]\d*\]\] \}/,
    );
    await page.click('.zone-item:has-text("tree") button');
    await page.waitForFunction(() => document.querySelectorAll('.zone-item').length === 2);
    assert.doesNotMatch(await page.locator('.zone-yaml').inputValue(), /tree/);
  });
});
