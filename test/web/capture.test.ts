/**
 * The replaced system's viewer pages against camrelay's /video: our /capture
 * page, and the original capture.html read from shared/seed/ at test time
 * (never copied into the project), pointed at this server and served from
 * another origin. Both must draw moving frames.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { requireInCi, skipOutsideCi } from '../support/ci.js';
import { startServer, type TestServer } from '../support/index.js';
import { REPO } from './artifacts.js';
import {
  allowOriginsConfig,
  launchBrowser,
  openPage,
  serveHtml,
  waitForMovingPicture,
  type OtherOrigin,
} from './browser.js';

const SEED_PAGE = `${REPO}../shared/seed/capture.html`;
const SEED_ADDRESS = 'ws://192.168.3.232:9000/video';
/** Outside CI the test skips without it; in CI its absence is a failure. */
const NO_SEED = existsSync(SEED_PAGE) ? undefined : `no ${SEED_PAGE}`;

describe("the replaced system's capture pages", () => {
  let server: TestServer;
  let browser: Browser;
  let other: OtherOrigin;

  before(async () => {
    other = await serveHtml();
    server = await startServer(['cam=testsrc?size=640x360&fps=15'], allowOriginsConfig([other.origin]));
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await other?.close();
  });

  it('/capture draws moving frames', async () => {
    const { context, page } = await openPage(browser, `${server.url}/capture`);
    try {
      const [a, b] = await waitForMovingPicture(page, 'canvas');
      assert.ok(a.colours >= 4 && a.checksum !== b.checksum);
    } finally {
      await context.close();
    }
  });

  const title = 'the original capture.html, served from another origin, draws moving frames from /video';
  it(title, { skip: skipOutsideCi(NO_SEED) }, async () => {
    requireInCi(NO_SEED);
    const original = readFileSync(SEED_PAGE, 'utf8');
    assert.ok(original.includes(SEED_ADDRESS), 'the page still has the address to replace');
    other.html = original.replaceAll(SEED_ADDRESS, `${server.url.replace(/^http/, 'ws')}/video`);
    const { context, page } = await openPage(browser, other.url);
    try {
      assert.notEqual(new URL(other.url).origin, new URL(server.url).origin);
      const [a, b] = await waitForMovingPicture(page, '#canvas');
      assert.ok(a.colours >= 4 && a.checksum !== b.checksum);
    } finally {
      await context.close();
    }
  });
});
