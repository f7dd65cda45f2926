/**
 * auth.public_pages: false — the viewer's pages and assets need a credential
 * too. Without one a browser is sent to /login and back; /player.js stays
 * public (it holds no camera data and is loaded by pages of other origins).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WEB_DIST } from '../../src/outputs/web/index.js';
import { hashToken, newToken } from '../../src/security/secrets.js';
import { startServer, type TestServer } from '../support/index.js';

const TOKEN = newToken();

describe('auth.public_pages: false', () => {
  let t: TestServer;
  const asset = readdirSync(join(WEB_DIST, 'assets')).find((f) => f.endsWith('.js'));

  before(async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'camrelay-pages-')), 'config.yaml');
    writeFileSync(
      config,
      `auth:
  public_pages: false
  tokens:
    - { name: viewer, role: viewer, token_hash: "${hashToken(TOKEN)}" }
cameras:
  - { id: cam, source: "testsrc?size=160x120&fps=5" }
`,
    );
    t = await startServer([], config);
  });
  after(() => t.close());

  it('sends a visitor without credentials to /login, remembering where they were going', async () => {
    for (const path of ['/', '/capture', `/assets/${asset}`]) {
      const res = await fetch(`${t.url}${path}`, { redirect: 'manual' });
      assert.equal(res.status, 302, path);
      assert.equal(res.headers.get('location'), `/login?next=${encodeURIComponent(path)}`, path);
    }
  });

  it('serves the pages with a credential, and /player.js and /login to anyone', async () => {
    assert.equal((await fetch(`${t.url}/?token=${TOKEN}`)).status, 200);
    assert.equal(
      (await fetch(`${t.url}/assets/${asset}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
      200,
    );
    assert.equal((await fetch(`${t.url}/player.js`)).status, 200);
    assert.equal((await fetch(`${t.url}/login`)).status, 200);
  });
});
