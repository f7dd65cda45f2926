/**
 * Other websites in the user's browser: CORS headers only for allowed
 * origins and only on REST and snapshot responses; WebSocket upgrades from a
 * foreign Origin refused (cross-site WebSocket hijacking); --allow-origin on
 * the command line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../src/security/password.js';
import { hashToken, newToken } from '../../src/security/secrets.js';
import { startServer, type TestServer } from '../support/index.js';
import {
  request,
  runCli,
  startCli,
  tempDir,
  upgrade,
  upgradeStatus,
  Viewer,
  writeConfig,
  type Response,
} from './support.js';

const ALLOWED = 'http://allowed.example';
const FOREIGN = 'http://evil.example';
const TOKEN = newToken();

let t: TestServer;

function get(
  path: string,
  origin: string | undefined,
  extra: Record<string, string> = {},
  headOnly = false,
): Promise<Response> {
  return request(`${t.url}${path}`, { headers: { ...(origin ? { origin } : {}), ...extra }, headOnly });
}

function ws(path: string): string {
  return `${t.url.replace(/^http/, 'ws')}${path}`;
}

const corsHeaders = (res: Response) =>
  Object.fromEntries(Object.entries(res.headers).filter(([name]) => name.startsWith('access-control-'))) as Record<
    string,
    string
  >;

describe('origins: CORS and WebSocket origin checks', () => {
  before(async () => {
    const dir = tempDir('origin');
    const config = writeConfig(dir, 'config.yaml', {
      server: { allowed_origins: [ALLOWED] },
      auth: {
        users: [{ name: 'alice', role: 'admin', password_hash: await hashPassword('origin-test-password') }],
        tokens: [{ name: 'viewer', role: 'viewer', token_hash: hashToken(TOKEN) }],
      },
    });
    t = await startServer(['cam=testsrc?size=320x240&fps=10'], config);
  });
  after(() => t.close());

  it('answers REST and snapshot requests of the allowed origin with CORS headers, credentials included', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const path of ['/api/cameras', '/api/cameras/cam', '/api/cameras/cam/snapshot.jpg']) {
      const res = await get(path, ALLOWED, auth);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['access-control-allow-origin'], ALLOWED, path);
      assert.equal(res.headers['access-control-allow-credentials'], 'true', path);
      assert.match(
        String(res.headers.vary),
        /origin/i,
        `${path}: Vary: Origin, or a cache could hand one origin's answer to another`,
      );
    }
    // The refusal of a missing credential is readable by the allowed page too (it can then ask for a login).
    const refused = await get('/api/cameras', ALLOWED);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['access-control-allow-origin'], ALLOWED);
  });

  it('sends no CORS approval to any other origin', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const origin of [
      FOREIGN,
      'http://allowed.example:8080',
      'https://allowed.example',
      'null',
      'http://allowed.example.evil.example',
    ]) {
      for (const path of ['/api/cameras', '/api/cameras/cam/snapshot.jpg']) {
        const res = await get(path, origin, auth);
        assert.equal(res.status, 200, `${origin} ${path}`);
        assert.equal(res.headers['access-control-allow-origin'], undefined, `${origin} ${path}`);
        assert.equal(res.headers['access-control-allow-credentials'], undefined, `${origin} ${path}`);
      }
    }
  });

  it('sends no CORS headers on pages or MJPEG streams, even to the allowed origin', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const path of ['/', '/capture', '/login']) {
      const res = await get(path, ALLOWED);
      assert.equal(res.status, 200, path);
      assert.deepEqual(corsHeaders(res), {}, path);
    }
    for (const path of ['/api/cameras/cam/stream.mjpeg', '/api/cameras/cam/stream.mjpeg?fps=1', '/?action=stream']) {
      const res = await get(path, ALLOWED, auth, true);
      assert.equal(res.status, 200, path);
      assert.match(String(res.headers['content-type']), /^multipart\/x-mixed-replace/, path);
      assert.deepEqual(corsHeaders(res), {}, path);
    }
  });

  it('answers a preflight from the allowed origin with 204, allowing Authorization', async () => {
    const res = await request(`${t.url}/api/cameras`, {
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], ALLOWED);
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.match(String(res.headers['access-control-allow-headers']), /(^|,\s*)authorization(\s*,|$)/i);
    assert.match(String(res.headers['access-control-allow-methods']), /GET/);
    // The same preflight from elsewhere gets no approval.
    const foreign = await request(`${t.url}/api/cameras`, {
      method: 'OPTIONS',
      headers: {
        origin: FOREIGN,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
    assert.notEqual(foreign.status, 204);
  });

  for (const path of ['/api/cameras/cam/ws', '/video']) {
    it(`refuses a WebSocket to ${path} from a foreign Origin with 403, and lets the others in`, async () => {
      const url = ws(`${path}?token=${TOKEN}`);
      const foreign = await upgrade(url, { origin: FOREIGN });
      assert.equal(foreign.ok, false, 'a foreign origin must not get a socket');
      if (!foreign.ok) {
        assert.equal(foreign.status, 403);
        assert.match(foreign.body, /"statusCode":403/);
      }
      // A page of another site with a valid-looking origin trick.
      for (const origin of [
        'http://127.0.0.1.evil.example',
        'null',
        `http://127.0.0.1:${new URL(t.url).port}.evil.example`,
      ]) {
        assert.equal(await upgradeStatus(url, { origin }), 403, origin);
      }
      assert.equal(await upgradeStatus(url, { origin: ALLOWED }), 101, 'allowed origin');
      assert.equal(await upgradeStatus(url, { origin: t.url }), 101, 'same origin');
      assert.equal(await upgradeStatus(url), 101, 'no Origin (not a browser)');
      // The origin check does not replace authentication: no token, no socket.
      assert.equal(await upgradeStatus(ws(path)), 401, 'no credential');
      assert.equal(await upgradeStatus(ws(path), { origin: ALLOWED }), 401, 'allowed origin, no credential');
    });
  }

  it('lets an allowed-origin socket actually stream', async () => {
    const viewer = await Viewer.open(ws(`/api/cameras/cam/ws?token=${TOKEN}`), { origin: ALLOWED });
    try {
      await viewer.waitFrames(3);
      assert.equal(viewer.bad, 0);
    } finally {
      viewer.close();
    }
  });
});

describe('--allow-origin', () => {
  it('allows an origin from the command line', async () => {
    const server = await startCli([
      '--port',
      '0',
      '--log-level',
      'warn',
      '--allow-origin',
      'http://x.example',
      '--camera',
      'cam=testsrc?size=320x240&fps=5',
    ]);
    try {
      const base = server.url.replace(/\/$/, '');
      const allowed = await request(`${base}/api/cameras`, { headers: { origin: 'http://x.example' } });
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers['access-control-allow-origin'], 'http://x.example');
      const other = await request(`${base}/api/cameras`, { headers: { origin: 'http://y.example' } });
      assert.equal(other.headers['access-control-allow-origin'], undefined);
      const wsBase = base.replace(/^http/, 'ws');
      assert.equal(await upgradeStatus(`${wsBase}/api/cameras/cam/ws`, { origin: 'http://x.example' }), 101);
      assert.equal(await upgradeStatus(`${wsBase}/api/cameras/cam/ws`, { origin: 'http://y.example' }), 403);
    } finally {
      await server.stop();
    }
  });

  it('exits 2 with a message on a bad origin', () => {
    for (const bad of ['x.example/path', 'http://x.example/path', 'ftp://x.example', 'http://x.example/']) {
      const r = runCli(['serve', '--port', '0', '--allow-origin', bad]);
      assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /--allow-origin: got ".*", expected an origin like https:\/\/example\.com/, bad);
    }
  });
});
