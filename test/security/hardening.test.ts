// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * The hardening of credentials and of what they may do: share links delegate
 * no more than their issuer has and always expire, camera-limited admins see
 * only their part of the server, the lockout counts per address and per
 * account from an attempt's start, state-changing requests come from this
 * server's own pages (CSRF), the post-login redirect stays on this server,
 * viewers' addresses are for admins, one credential has a bounded share of
 * the viewers, and /video closes a flooding client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { delegationRefusal } from '../../src/security/delegation.js';
import { hashPassword } from '../../src/security/password.js';
import { hashToken, newToken } from '../../src/security/secrets.js';
import { ShareLinks } from '../../src/security/share-links.js';
import { startServer, waitFor, type TestServer } from '../support/index.js';
import {
  parseSetCookie,
  request,
  tempDir,
  upgrade,
  upgradeStatus,
  Viewer,
  writeConfig,
  type Response,
} from './support.js';

const SECRET = 'hardening-test-share-secret-of-32-characters+';
const PASSWORD = 'a-long-enough-password';
const ADMIN = newToken();
const LIMITED_ADMIN = newToken();
const VIEWER = newToken();

let t: TestServer;
let origin: string;

const json = (body: object): string => JSON.stringify(body);
const wsUrl = (path: string): string => `${t.url.replace(/^http/, 'ws')}${path}`;

function post(path: string, headers: Record<string, string>, body?: string, localAddress?: string): Promise<Response> {
  return request(`${t.url}${path}`, { method: 'POST', headers, body, localAddress });
}

function login(
  user: string,
  password: string,
  localAddress: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return post(
    '/login',
    { 'content-type': 'application/json', ...headers },
    json({ username: user, password }),
    localAddress,
  );
}

function sessionOf(res: Response): string {
  const cookie = parseSetCookie(res.headers['set-cookie'], 'camrelay_session');
  assert.ok(cookie?.value, `a session cookie (status ${res.status}: ${res.text.slice(0, 200)})`);
  return `camrelay_session=${cookie.value}`;
}

describe('hardening: delegation, lockout, CSRF, redirects, viewer limits', () => {
  before(async () => {
    const hash = await hashPassword(PASSWORD);
    const config = writeConfig(tempDir('hardening'), 'config.yaml', {
      auth: {
        users: ['alice', 'bob', 'dave', 'erin', 'frank', 'gina'].map((name) => ({
          name,
          role: name === 'bob' ? 'viewer' : 'admin',
          password_hash: hash,
        })),
        tokens: [
          { name: 'admin', role: 'admin', token_hash: hashToken(ADMIN) },
          { name: 'limited-admin', role: 'admin', cameras: ['a'], token_hash: hashToken(LIMITED_ADMIN) },
          { name: 'viewer', role: 'viewer', token_hash: hashToken(VIEWER) },
        ],
        share_secret: SECRET,
        share_max_lifetime: 3600,
      },
      limits: { login_attempts: 3, lockout: 60, viewers_per_credential: 2 },
      cameras: [
        { id: 'a', source: 'testsrc?size=320x240&fps=10' },
        { id: 'b', source: 'testsrc?size=320x240&fps=10' },
      ],
    });
    t = await startServer([], config);
    origin = t.url;
  });
  after(() => t.close());

  it('lets a credential share only the cameras it has itself', async () => {
    const mint = (credential: string, cameras: string[]) =>
      post(
        '/api/tokens',
        { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
        json({ cameras }),
      );
    for (const cameras of [['b'], ['a', 'b'], ['shed.*'], ['shed.yard']]) {
      const res = await mint(LIMITED_ADMIN, cameras);
      assert.equal(res.status, 403, `${cameras.join(',')}: ${res.text}`);
      assert.match(res.text, /may not share camera/);
    }
    const own = await mint(LIMITED_ADMIN, ['a']);
    assert.equal(own.status, 201, own.text);
    assert.equal((await mint(ADMIN, ['a', 'b', 'shed.*'])).status, 201, 'an admin of every camera shares any');
  });

  it('refuses the whole-server views (/metrics, /api/publishers) to an admin limited to some cameras', async () => {
    for (const path of ['/metrics', '/api/publishers']) {
      assert.equal(
        (await request(`${t.url}${path}`, { headers: { authorization: `Bearer ${LIMITED_ADMIN}` } })).status,
        403,
        path,
      );
      assert.equal(
        (await request(`${t.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } })).status,
        200,
        path,
      );
    }
    // It still sees its own camera, and only that one.
    const list = await request(`${t.url}/api/cameras`, { headers: { authorization: `Bearer ${LIMITED_ADMIN}` } });
    assert.deepEqual(
      (JSON.parse(list.text) as { cameras: { id: string }[] }).cameras.map((c) => c.id),
      ['a'],
    );
  });

  it("shows viewers' addresses to admins only", async () => {
    const watcher = await Viewer.open(wsUrl(`/api/cameras/a/ws?token=${ADMIN}`));
    try {
      await watcher.waitFrames(1);
      const details = async (credential: string) =>
        (
          JSON.parse(
            (await request(`${t.url}/api/cameras/a`, { headers: { authorization: `Bearer ${credential}` } })).text,
          ) as {
            viewers: { id: string; remoteAddress?: string }[];
          }
        ).viewers;
      const seenByViewer = await details(VIEWER);
      assert.ok(seenByViewer.length >= 1);
      for (const v of seenByViewer) assert.equal(v.remoteAddress, undefined, JSON.stringify(v));
      assert.ok((await details(ADMIN)).some((v) => v.remoteAddress === '127.0.0.1'));
    } finally {
      watcher.close();
    }
  });

  it('counts failures per address: a valid login in between clears nothing', async () => {
    const from = '127.0.0.50';
    for (let i = 1; i <= 3; i++) {
      assert.equal((await login('bob', PASSWORD, from)).status, 200, `bob's login ${i}`);
      assert.equal((await login(`nobody-${i}`, 'guess', from)).status, 401, `guess ${i}`);
    }
    const locked = await login('nobody-4', 'guess', from);
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers['retry-after']) >= 1);
    assert.equal((await login('bob', PASSWORD, from)).status, 429, 'the address is locked out, whoever logs in');
    assert.equal((await login('bob', PASSWORD, '127.0.0.51')).status, 200, 'other addresses are not');
  });

  it('counts failures per account, whatever the address', async () => {
    for (let i = 1; i <= 3; i++)
      assert.equal((await login('frank', 'guess', `127.0.0.${60 + i}`)).status, 401, `guess ${i}`);
    assert.equal((await login('frank', PASSWORD, '127.0.0.64')).status, 429, 'the account is locked out');
    assert.equal((await login('gina', PASSWORD, '127.0.0.64')).status, 200, 'not the address, not other accounts');
  });

  it('counts an attempt when it starts: of many guesses at once, at most login_attempts are checked', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => login('erin', `guess-${i}`, '127.0.0.70')));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, 3, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length, 17, statuses.join(' '));
  });

  it('refuses logins, logouts and share links from other sites (CSRF); takes only the bodies meant', async () => {
    const evil = 'http://evil.example';
    // Login CSRF: a form of another site must not log the browser in.
    const formBody = new URLSearchParams({ username: 'alice', password: PASSWORD }).toString();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const foreign: Record<string, string>[] = [
      { origin: evil },
      { origin: 'null' },
      { referer: `${evil}/page` },
      { origin: `${origin}.evil.example` },
    ];
    for (const headers of foreign) {
      const res = await post('/login', { ...form, ...headers }, formBody, '127.0.0.80');
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.equal(res.headers['set-cookie'], undefined);
    }
    assert.equal((await post('/login', { ...form, origin }, formBody, '127.0.0.80')).status, 303, 'from its own page');
    assert.equal(
      (await post('/login', { ...form, referer: `${origin}/login` }, formBody, '127.0.0.80')).status,
      303,
      'a same-origin Referer',
    );
    assert.equal((await login('alice', PASSWORD, '127.0.0.80')).status, 200, 'a client with neither header (curl)');
    const text = await post(
      '/login',
      { 'content-type': 'text/plain', origin },
      json({ username: 'alice', password: PASSWORD }),
      '127.0.0.80',
    );
    assert.equal(text.status, 415, 'text/plain is not a login');

    // Logout CSRF: only a POST from this server's pages ends the session.
    const session = sessionOf(await login('alice', PASSWORD, '127.0.0.81'));
    const alive = async () => (await request(`${t.url}/api/me`, { headers: { cookie: session } })).status === 200;
    const page = await request(`${t.url}/logout`, { headers: { cookie: session } });
    assert.equal(page.status, 200, 'GET /logout only asks');
    assert.match(page.text, /<form method="post" action="\/logout">/);
    assert.ok(await alive(), 'a link does not log out');
    assert.equal((await post('/logout', { cookie: session, origin: evil })).status, 403);
    assert.equal((await post('/logout', { cookie: session })).status, 403, 'a cookie without Origin or Referer');
    assert.ok(await alive(), 'still logged in');
    const out = await post('/logout', { cookie: session, origin });
    assert.equal(out.status, 303);
    assert.equal(out.headers.location, '/login');
    assert.ok(!(await alive()), 'logged out');

    // Share links: JSON only, from this server's pages or a non-browser client.
    const admin = sessionOf(await login('alice', PASSWORD, '127.0.0.82'));
    const mint = (headers: Record<string, string>, body = json({ cameras: ['a'] })) =>
      post('/api/tokens', headers, body);
    const asJson = { 'content-type': 'application/json' };
    assert.equal((await mint({ ...asJson, cookie: admin, origin: evil })).status, 403);
    assert.equal((await mint({ ...asJson, cookie: admin })).status, 403, 'a cookie without Origin or Referer');
    assert.equal((await mint({ ...form, cookie: admin, origin }, 'cameras=a')).status, 415, 'a form is not JSON');
    assert.equal(
      (await mint({ 'content-type': 'text/plain', cookie: admin, origin }, json({ cameras: ['a'] }))).status,
      415,
    );
    assert.equal((await mint({ ...asJson, cookie: admin, origin })).status, 201, 'from its own page');
    assert.equal(
      (await mint({ ...asJson, cookie: admin, referer: `${origin}/` })).status,
      201,
      'a same-origin Referer',
    );
    assert.equal(
      (await mint({ ...asJson, authorization: `Bearer ${ADMIN}` })).status,
      201,
      'an API client with a Bearer token',
    );
  });

  it('sends a login back only to a normalised path of this server', async () => {
    const cases: [string, string][] = [
      ['/\t/evil.example', '/'],
      ['/\n/evil.example', '/'],
      ['/capture\r\nSet-Cookie: x=y', '/'],
      ['/.//evil.example', '/'],
      ['/a/..//evil.example', '/'],
      ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
      ['/capture?x=1#/camera/a', '/capture?x=1#/camera/a'],
      ['/a/../capture', '/capture'],
    ];
    for (const [next, expected] of cases) {
      const body = new URLSearchParams({ username: 'alice', password: PASSWORD, next }).toString();
      const res = await post(
        '/login',
        { 'content-type': 'application/x-www-form-urlencoded', origin },
        body,
        '127.0.0.90',
      );
      assert.equal(res.status, 303, `${JSON.stringify(next)}: ${res.text.slice(0, 200)}`);
      assert.equal(res.headers.location, expected, JSON.stringify(next));
      const page = await request(`${t.url}/login?next=${encodeURIComponent(next)}`);
      assert.equal(page.status, 200, JSON.stringify(next));
    }
  });

  it('requires an expiry on share links, within auth.share_max_lifetime', async () => {
    const key = new TextEncoder().encode(SECRET);
    const claims = { cams: ['a'], label: 'forever' };
    const noExpiry = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('camrelay')
      .setAudience('camrelay-share')
      .setIssuedAt()
      .sign(key);
    const tooLong = (await new ShareLinks(SECRET).issue(['a'], 2 * 86_400, 'two days')).token;
    const fine = (await new ShareLinks(SECRET).issue(['a'], 600, 'ten minutes')).token;
    assert.equal((await request(`${t.url}/api/cameras/a/snapshot.jpg?token=${fine}`)).status, 200);
    for (const [what, token] of [
      ['no exp', noExpiry],
      ['beyond the maximum', tooLong],
    ] as const) {
      assert.equal((await request(`${t.url}/api/cameras/a/snapshot.jpg?token=${token}`)).status, 401, what);
      assert.equal(await upgradeStatus(wsUrl(`/api/cameras/a/ws?token=${token}`)), 401, what);
    }
    const mint = (expiresIn?: number) =>
      post(
        '/api/tokens',
        { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        json({ cameras: ['a'], expires_in: expiresIn }),
      );
    assert.equal((await mint(7200)).status, 400, 'longer than share_max_lifetime');
    assert.equal((await mint(3600)).status, 201);
    const byDefault = JSON.parse((await mint()).text) as { expiresAt: number };
    assert.ok(byDefault.expiresAt <= Date.now() + 3600_000 + 5000, 'the default lifetime is capped by the maximum');
  });

  it('limits the viewers one credential holds, so a share link cannot lock out its owner', async () => {
    const share = (
      JSON.parse(
        (
          await post(
            '/api/tokens',
            { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
            json({ cameras: ['a', 'b'] }),
          )
        ).text,
      ) as { token: string }
    ).token;
    const held = [
      await Viewer.open(wsUrl(`/api/cameras/a/ws?token=${share}`)),
      await Viewer.open(wsUrl(`/api/cameras/b/ws?token=${share}`)),
    ];
    try {
      const third = await upgrade(wsUrl(`/api/cameras/a/ws?token=${share}`));
      assert.equal(third.ok, false);
      if (!third.ok) assert.equal(third.status, 429, third.body);
      const stream = await request(`${t.url}/api/cameras/a/stream.mjpeg?token=${share}`, { headOnly: true });
      assert.equal(stream.status, 429, 'MJPEG counts too');
      const owner = await Viewer.open(wsUrl(`/api/cameras/a/ws?token=${ADMIN}`));
      await owner.waitFrames(1);
      owner.close();
    } finally {
      for (const v of held) v.close();
    }
    // A place frees up when a viewer leaves.
    await waitFor(
      async () => (await upgradeStatus(wsUrl(`/api/cameras/a/ws?token=${share}`))) === 101,
      5000,
      'a freed place',
    );
  });

  it('closes a /video client that floods it with messages (1008), as the v1 viewer does', async () => {
    const result = await upgrade(wsUrl(`/video?token=${ADMIN}`));
    assert.ok(result.ok);
    const ws = result.ws;
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => {});
    for (let i = 0; i < 3000 && ws.readyState === WebSocket.OPEN; i++) ws.send('next');
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('still open'), 10_000));
    assert.equal(await Promise.race([closed, timeout]), 1008);
  });
});

describe('delegation: a credential passes on no more than it has', () => {
  const now = Date.now();
  it('cameras: only its own, and an edge wildcard only with that wildcard', () => {
    const limited = { kind: 'token', name: 't', role: 'admin', cameras: new Set(['a', 'shed.*']) } as const;
    assert.equal(delegationRefusal(limited, ['a', 'shed.yard', 'shed.*'], now + 1000), undefined);
    assert.match(delegationRefusal(limited, ['b'], now + 1000) ?? '', /"b"/);
    assert.match(delegationRefusal(limited, ['barn.*'], now + 1000) ?? '', /"barn\.\*"/);
    const narrow = { ...limited, cameras: new Set(['shed.yard']) };
    assert.match(
      delegationRefusal(narrow, ['shed.*'], now + 1000) ?? '',
      /"shed\.\*"/,
      'one camera of an edge is not all of them',
    );
    const all = { kind: 'user', name: 'u', role: 'admin' } as const;
    assert.equal(delegationRefusal(all, ['b', 'barn.*'], now + 1000), undefined);
  });

  it('time: never beyond an expiring issuer', () => {
    const expiring = { kind: 'share', name: 's', role: 'admin', expiresAt: now + 60_000 } as const;
    assert.equal(delegationRefusal(expiring, ['a'], now + 60_000), undefined);
    assert.match(delegationRefusal(expiring, ['a'], now + 60_001) ?? '', /outlive/);
  });
});
