/**
 * Login and logout CSRF, in Chromium: a form on another site (here another
 * port of 127.0.0.1: another origin, but the same site, so the SameSite=Lax
 * cookie alone would not stop it) can neither log the browser into an
 * account nor log it out; the server's own login form and the viewer's
 * Log out link still work.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { hashPassword } from '../../src/security/password.js';
import { startServer, waitFor, type TestServer } from '../support/index.js';
import { launchBrowser, openPage, serveHtml, type OtherOrigin } from './browser.js';

describe('login and logout from other sites (CSRF), in a browser', () => {
  let server: TestServer;
  let browser: Browser;
  let other: OtherOrigin;

  const sessions = async (context: BrowserContext) =>
    (await context.cookies(server.url)).filter((c) => c.name === 'camrelay_session');

  before(async () => {
    other = await serveHtml();
    const config = join(mkdtempSync(join(tmpdir(), 'camrelay-web-csrf-')), 'camrelay.yaml');
    writeFileSync(
      config,
      `auth:
  users:
    - { name: alice, role: admin, password_hash: "${await hashPassword('correct horse')}" }
    - { name: mallory, role: viewer, password_hash: "${await hashPassword('mallory password')}" }
cameras:
  - { id: front, source: "testsrc?size=320x240&fps=10" }
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

  it("a form on another site does not log the browser into the attacker's account", async () => {
    other.html = `<!doctype html><html><body>
<form id="f" method="post" action="${server.url}/login">
  <input name="username" value="mallory"><input name="password" value="mallory password"><input name="next" value="/">
</form>
<script>document.getElementById('f').submit()</script>
</body></html>`;
    const { context, page } = await openPage(browser, other.url);
    try {
      await page.waitForURL(`${server.url}/login`, { timeout: 10_000 });
      assert.match((await page.content()) ?? '', /other sites/);
      assert.equal((await sessions(context)).length, 0, 'no session cookie');
    } finally {
      await context.close();
    }
  });

  it("logs in from the server's own form, and a link or form of another site does not log out", async () => {
    const { context, page } = await openPage(browser, `${server.url}/login?next=/`);
    try {
      await page.fill('input[name=username]', 'alice');
      await page.fill('input[name=password]', 'correct horse');
      await page.click('button[type=submit]');
      await page.waitForURL(`${server.url}/`, { timeout: 10_000 });
      assert.equal((await sessions(context)).length, 1, 'logged in');
      const me = () => page.evaluate(async () => (await fetch('/api/me')).status);
      assert.equal(await me(), 200);

      // A link to /logout only asks; a form of another site is refused.
      other.html = `<!doctype html><html><body><a id="l" href="${server.url}/logout">x</a>
<form id="f" method="post" action="${server.url}/logout"></form></body></html>`;
      const attacker = await context.newPage();
      await attacker.goto(other.url);
      await attacker.click('#l');
      await attacker.waitForURL(`${server.url}/logout`, { timeout: 10_000 });
      assert.equal(await me(), 200, 'a link does not log out');
      await attacker.goto(other.url);
      await Promise.all([
        attacker.waitForURL(`${server.url}/logout`, { timeout: 10_000 }),
        attacker.evaluate(() => (document.getElementById('f') as HTMLFormElement).submit()),
      ]);
      assert.equal(await me(), 200, 'a form of another site does not log out');
      await attacker.close();

      // The viewer's own Log out link does.
      await page.locator('a.logout').waitFor({ state: 'visible', timeout: 10_000 });
      await page.click('a.logout');
      await page.waitForURL(/\/login$/, { timeout: 10_000 });
      await waitFor(async () => (await me()) === 401, 5000, 'the session to end');
    } finally {
      await context.close();
    }
  });

  it("the logout page's own button logs out", async () => {
    const { context, page } = await openPage(browser, `${server.url}/login`);
    try {
      await page.fill('input[name=username]', 'alice');
      await page.fill('input[name=password]', 'correct horse');
      await page.click('button[type=submit]');
      await page.waitForURL(`${server.url}/`, { timeout: 10_000 });
      await page.goto(`${server.url}/logout`);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/login$/, { timeout: 10_000 });
      assert.equal((await sessions(context)).length, 0, 'the session cookie is gone');
    } finally {
      await context.close();
    }
  });
});
