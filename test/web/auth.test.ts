/**
 * The viewer where credentials are required: without any, the page sends the
 * user to /login and back; a share link opened on a phone plays its camera
 * and only that one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { hashPassword } from '../../src/security/password.js';
import { hashToken, newToken } from '../../src/security/secrets.js';
import { startServer, waitFor, type TestServer } from '../support/index.js';
import { launchBrowser, openPage, playerStats, serveHtml, waitForMovingPicture, type OtherOrigin } from './browser.js';

const ADMIN_TOKEN = newToken();
const FRONT_TOKEN = newToken();

describe('the viewer behind authentication', () => {
  let server: TestServer;
  let browser: Browser;
  /** A site of another origin, allowed by the server, that embeds the player. */
  let other: OtherOrigin;

  before(async () => {
    other = await serveHtml();
    const config = join(mkdtempSync(join(tmpdir(), 'camrelay-web-auth-')), 'camrelay.yaml');
    writeFileSync(
      config,
      `server: { allowed_origins: ["${other.origin}"] }
auth:
  users:
    - { name: alice, role: admin, password_hash: "${await hashPassword('correct horse')}" }
  tokens:
    - { name: admin, role: admin, token_hash: "${hashToken(ADMIN_TOKEN)}" }
    - { name: front-only, role: viewer, cameras: [front], token_hash: "${hashToken(FRONT_TOKEN)}" }
cameras:
  - { id: front, name: Front door, source: "testsrc?size=320x240&fps=15" }
  - { id: back, name: Back yard, source: "testsrc?size=320x240&fps=15" }
`,
    );
    server = await startServer([], config);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await other?.close();
  });

  it('plays in <camrelay-player> on a page of an allowed origin, with a token, over WebSocket', async () => {
    other.html = `<!doctype html><html><head><meta charset="utf-8"><title>embed</title></head><body>
<script type="module" src="${server.url}/player.js"></script>
<camrelay-player src="${server.url}" camera="front" token="${FRONT_TOKEN}" style="width: 640px; height: 360px"></camrelay-player>
</body></html>`;
    const { context, page } = await openPage(browser, other.url);
    try {
      await waitForMovingPicture(page, 'camrelay-player', { shadow: true });
      const stats = await playerStats(page, 'camrelay-player');
      assert.equal(stats.transport, 'ws');
      assert.equal(stats.online, true);
    } finally {
      await context.close();
    }
  });

  it('sends a visitor without credentials to /login, and back to the grid after logging in', async () => {
    const { context, page } = await openPage(browser, `${server.url}/`);
    try {
      await page.waitForURL(/\/login\?next=/, { timeout: 10_000 });
      await page.fill('input[name=username]', 'alice');
      await page.fill('input[name=password]', 'correct horse');
      await page.click('button[type=submit]');
      await page.waitForURL(`${server.url}/`, { timeout: 10_000 });
      await waitFor(async () => (await page.locator('.tile').count()) === 2, 10_000, 'two tiles');
      await waitForMovingPicture(page, '.tile camrelay-player', { index: 0, shadow: true });
      // The summary beside the link settles first: a click while its text grows would land beside the link.
      await waitFor(
        async () => (await page.locator('.summary').textContent()) === '2 cameras · 2 live',
        15_000,
        'both cameras live in the summary',
      );
      await page.locator('a.logout').waitFor({ state: 'visible', timeout: 5000 });
      await page.click('a.logout');
      await page.waitForURL(/\/login$/, { timeout: 10_000 });
      assert.equal(
        (await page.context().cookies()).filter((c) => c.name === 'camrelay_session').length,
        0,
        'the session cookie is gone',
      );
    } finally {
      await context.close();
    }
  });

  it('plays a share link on a phone: its camera only', async () => {
    const res = await fetch(`${server.url}/api/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ cameras: ['back'], expires_in: 600 }),
    });
    assert.equal(res.status, 201);
    const { url } = (await res.json()) as { url: string };
    assert.match(url, /\/\?token=[\w-]+\.[\w-]+\.[\w-]+#\/camera\/back$/);
    const { context, page } = await openPage(browser, url, {
      width: 390,
      height: 844,
      isMobile: true,
      deviceScaleFactor: 2,
    });
    try {
      await waitForMovingPicture(page, 'camrelay-player', { shadow: true });
      assert.ok(!page.url().includes('/login'), 'no login needed');
      await page.goto(url.replace(/#.*$/, '#/'));
      await waitFor(async () => (await page.locator('.tile').count()) === 1, 10_000, 'one tile');
      assert.equal(await page.locator('.tile').getAttribute('data-camera'), 'back');
      assert.equal(await page.locator('a.logout').isVisible(), false, 'a share link has nothing to log out of');
    } finally {
      await context.close();
    }
  });

  it('says so when a share link is no longer valid', async () => {
    const { context, page } = await openPage(
      browser,
      `${server.url}/?token=${'x'.repeat(20)}.${'y'.repeat(20)}.${'z'.repeat(20)}`,
    );
    try {
      await waitFor(
        async () => (await page.content()).includes('this link has expired or is not valid'),
        10_000,
        'the message',
      );
      assert.ok(!page.url().includes('/login'));
    } finally {
      await context.close();
    }
  });
});
