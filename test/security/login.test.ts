/**
 * Credentials end to end: `camrelay hash-password`, /login (form and JSON)
 * with its session cookie, /logout, the failed-login lockout per client
 * address, Basic auth on MJPEG, share links from POST /api/tokens, and a log
 * that never holds a secret.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ShareLinks } from '../../src/security/share-links.js';
import { hashPassword } from '../../src/security/password.js';
import { hashToken, newToken } from '../../src/security/secrets.js';
import { sleep, startServer, type TestServer } from '../support/index.js';
import {
  parseSetCookie,
  request,
  runCli,
  startCli,
  tempDir,
  upgradeStatus,
  Viewer,
  writeConfig,
  type Response,
} from './support.js';

const dir = tempDir('login');
const PASSWORD = 'correct horse battery staple';
const BOB_PASSWORD = 'bob-password-123';
const SECRET = 'login-test-share-secret-of-at-least-32-characters';
const ADMIN = newToken();
const VIEWER = newToken();

let t: TestServer;
let aliceHash: string;

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function get(
  path: string,
  headers: Record<string, string> = {},
  localAddress?: string,
  headOnly = false,
): Promise<Response> {
  return request(`${t.url}${path}`, { headers, localAddress, headOnly });
}

function loginJson(user: string, password: string, localAddress?: string): Promise<Response> {
  return request(`${t.url}/login`, {
    method: 'POST',
    localAddress,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password }),
  });
}

function loginForm(fields: Record<string, string>, localAddress?: string): Promise<Response> {
  return request(`${t.url}/login`, {
    method: 'POST',
    localAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form(fields),
  });
}

function sessionOf(res: Response): string {
  const cookie = parseSetCookie(res.headers['set-cookie'], 'camrelay_session');
  assert.ok(cookie, `a session cookie (status ${res.status}: ${res.text.slice(0, 200)})`);
  return `camrelay_session=${cookie.value}`;
}

const ws = (path: string) => `${t.url.replace(/^http/, 'ws')}${path}`;

describe('logins, sessions, lockout, Basic auth and share links', () => {
  before(async () => {
    const hashed = runCli(['hash-password'], `${PASSWORD}\n`);
    assert.equal(hashed.status, 0, hashed.stderr);
    aliceHash = hashed.stdout.trim();
    const config = writeConfig(dir, 'config.yaml', {
      auth: {
        users: [
          { name: 'alice', role: 'admin', password_hash: aliceHash },
          { name: 'bob', role: 'viewer', cameras: ['a'], password_hash: await hashPassword(BOB_PASSWORD) },
        ],
        tokens: [
          { name: 'admin', role: 'admin', token_hash: hashToken(ADMIN) },
          { name: 'viewer', role: 'viewer', token_hash: hashToken(VIEWER) },
        ],
        share_secret: SECRET,
      },
      limits: { login_attempts: 3, lockout: 2 },
      cameras: [
        { id: 'a', source: 'testsrc?size=320x240&fps=10' },
        { id: 'b', source: 'testsrc?size=320x240&fps=10' },
      ],
    });
    t = await startServer([], config);
  });
  after(() => t.close());

  it('hash-password prints a salted scrypt hash of the password on stdin, which logs in', async () => {
    assert.match(aliceHash, /^\$scrypt\$ln=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    assert.ok(!aliceHash.includes(PASSWORD));
    const again = runCli(['hash-password'], `${PASSWORD}\n`);
    assert.notEqual(again.stdout.trim(), aliceHash, 'a new salt every time');
    const short = runCli(['hash-password'], 'short\n');
    assert.equal(short.status, 2);
    assert.match(short.stderr, /at least 8 characters/);
    assert.equal(runCli(['hash-password'], '').status, 2, 'no password at all');

    const ok = await loginJson('alice', PASSWORD, '127.0.0.10');
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(JSON.parse(ok.text), { name: 'alice', role: 'admin' });
    assert.equal((await loginJson('alice', `${PASSWORD}!`, '127.0.0.10')).status, 401);
    assert.equal((await loginJson('nobody', PASSWORD, '127.0.0.10')).status, 401);
  });

  it('POST /login (form) sets an HttpOnly SameSite=Lax cookie that works for the API and the WebSocket', async () => {
    const res = await loginForm({ username: 'alice', password: PASSWORD, next: '/capture' }, '127.0.0.11');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/capture');
    const cookie = parseSetCookie(res.headers['set-cookie'], 'camrelay_session');
    assert.ok(cookie);
    assert.ok(cookie.value.length >= 40, 'a long random session id');
    for (const attribute of ['httponly', 'samesite=lax', 'path=/'])
      assert.ok(cookie.attributes.includes(attribute), `${attribute} in ${cookie.attributes.join('; ')}`);
    assert.ok(!cookie.attributes.includes('secure'), 'not Secure over plain HTTP (the browser would drop it)');
    const session = `camrelay_session=${cookie.value}`;

    assert.equal((await get('/api/cameras')).status, 401, 'nothing without the cookie');
    const cameras = await get('/api/cameras', { cookie: session });
    assert.equal(cameras.status, 200);
    assert.deepEqual(
      (JSON.parse(cameras.text) as { cameras: { id: string }[] }).cameras.map((c) => c.id),
      ['a', 'b'],
    );
    const me = JSON.parse((await get('/api/me', { cookie: session })).text) as {
      name: string;
      kind: string;
      role: string;
    };
    assert.deepEqual([me.name, me.kind, me.role], ['alice', 'user', 'admin']);
    const viewer = await Viewer.open(ws('/api/cameras/a/ws'), { headers: { cookie: session } });
    try {
      await viewer.waitFrames(3);
    } finally {
      viewer.close();
    }
    assert.equal(await upgradeStatus(ws('/api/cameras/a/ws')), 401, 'no socket without it');
    assert.equal((await get('/api/cameras', { cookie: 'camrelay_session=forged-session-id' })).status, 401);
  });

  it('sends /login back only to paths of this server, and shows the form again on a failure', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const res = await loginForm({ username: 'alice', password: PASSWORD, next }, '127.0.0.12');
      assert.equal(res.status, 303, next);
      assert.equal(res.headers.location, '/', next);
    }
    const failed = await loginForm({ username: 'alice', password: 'wrong password', next: '/' }, '127.0.0.12');
    assert.equal(failed.status, 401);
    assert.match(String(failed.headers['content-type']), /^text\/html/);
    assert.match(failed.text, /<form method="post" action="\/login">/);
    assert.match(failed.text, /wrong user name or password/);
    assert.equal(failed.headers['set-cookie'], undefined);
    const unauthenticatedPage = await get('/login?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E');
    assert.doesNotMatch(unauthenticatedPage.text, /<script>alert/, 'next is escaped (and dropped: not a path)');
  });

  it('ends the session on POST /logout: the cookie no longer works', async () => {
    for (const method of ['POST']) {
      const session = sessionOf(await loginJson('alice', PASSWORD, '127.0.0.13'));
      assert.equal((await get('/api/cameras', { cookie: session })).status, 200);
      // GET only shows a form that POSTs (a link from another site must not log out: hardening.test.ts).
      assert.equal((await request(`${t.url}/logout`, { headers: { cookie: session } })).status, 200);
      assert.equal((await get('/api/cameras', { cookie: session })).status, 200, 'GET /logout does not log out');
      const out = await request(`${t.url}/logout`, { method, headers: { cookie: session, origin: t.url } });
      assert.equal(out.status, 303, method);
      assert.equal(out.headers.location, '/login');
      const cleared = parseSetCookie(out.headers['set-cookie'], 'camrelay_session');
      assert.ok(cleared && cleared.value === '', `${method}: the cookie is cleared`);
      const after = await get('/api/cameras', { cookie: session });
      assert.equal(after.status, 401, `${method}: the old cookie is refused`);
      assert.match(after.text, /session expired or ended/);
      assert.equal(await upgradeStatus(ws('/api/cameras/a/ws'), { headers: { cookie: session } }), 401);
    }
  });

  it('locks an address out after limits.login_attempts failures, not the other addresses', async () => {
    const attacker = '127.0.0.20';
    // Guesses at accounts that do not exist: only the address's count (accounts have their own: hardening.test.ts).
    for (let i = 0; i < 3; i++) {
      assert.equal((await loginJson(`nobody-${i}`, `guess-${i}`, attacker)).status, 401, `failure ${i + 1}`);
    }
    const locked = await loginJson('alice', PASSWORD, attacker);
    assert.equal(locked.status, 429, 'even the right password while locked out');
    const retryAfter = Number(locked.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After ${locked.headers['retry-after']}`);
    assert.equal(locked.headers['set-cookie'], undefined);
    // The form says so too.
    const lockedForm = await loginForm({ username: 'alice', password: PASSWORD }, attacker);
    assert.equal(lockedForm.status, 429);
    assert.match(lockedForm.text, /too many failed logins/);

    // Another client is not locked out by the attacker.
    const other = await loginJson('alice', PASSWORD, '127.0.0.21');
    assert.equal(other.status, 200);

    await sleep(retryAfter * 1000 + 300);
    const later = await loginJson('alice', PASSWORD, attacker);
    assert.equal(later.status, 200, 'the right password works once the lockout is over');
  });

  it('takes Basic credentials on the MJPEG stream, and counts their failures too', async () => {
    const ok = await get(
      '/api/cameras/a/stream.mjpeg',
      { authorization: basic('alice', PASSWORD) },
      '127.0.0.30',
      true,
    );
    assert.equal(ok.status, 200);
    assert.match(String(ok.headers['content-type']), /^multipart\/x-mixed-replace/);
    const legacy = await get('/?action=stream', { authorization: basic('bob', BOB_PASSWORD) }, '127.0.0.30', true);
    assert.equal(legacy.status, 200, 'mjpg-streamer clients too');
    assert.equal(
      (await get('/api/cameras/b/stream.mjpeg', { authorization: basic('bob', BOB_PASSWORD) }, '127.0.0.30', true))
        .status,
      403,
      "outside bob's cameras",
    );

    const client = '127.0.0.31';
    // Failures through the form and through Basic add up.
    assert.equal((await loginForm({ username: 'alice', password: 'nope-1' }, client)).status, 401);
    assert.equal(
      (await get('/api/cameras/a/stream.mjpeg', { authorization: basic('alice', 'nope-2') }, client, true)).status,
      401,
    );
    assert.equal(
      (await get('/api/cameras/a/snapshot.jpg', { authorization: basic('mallory', 'nope-3') }, client)).status,
      401,
    );
    const locked = await get('/api/cameras/a/stream.mjpeg', { authorization: basic('alice', PASSWORD) }, client, true);
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers['retry-after']) >= 1);
    assert.equal(
      (await get('/api/cameras/a/stream.mjpeg', { authorization: basic('alice', PASSWORD) }, '127.0.0.32', true))
        .status,
      200,
    );
    // Malformed Basic is a 401, not a server error.
    for (const value of [
      'Basic',
      'Basic !!!',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Basic ${Buffer.from(':empty-user').toString('base64')}`,
    ]) {
      assert.equal((await get('/api/cameras', { authorization: value }, '127.0.0.33')).status, 401, value);
    }
  });

  it('issues share links that open only their cameras, until they expire', async () => {
    const issued = await request(`${t.url}/api/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ cameras: ['a'], expires_in: 600, label: 'phone' }),
    });
    assert.equal(issued.status, 201, issued.text);
    const share = JSON.parse(issued.text) as { token: string; expiresAt: number; url: string };
    assert.ok(Math.abs(share.expiresAt - (Date.now() + 600_000)) < 10_000, `expiresAt ${share.expiresAt}`);
    assert.equal(share.url, `${t.url}/?token=${share.token}#/camera/a`);

    const list = JSON.parse((await get(`/api/cameras?token=${share.token}`)).text) as { cameras: { id: string }[] };
    assert.deepEqual(
      list.cameras.map((c) => c.id),
      ['a'],
      'the other camera is not even listed',
    );
    assert.equal((await get(`/api/cameras/a/snapshot.jpg?token=${share.token}`)).status, 200);
    assert.equal((await get('/api/cameras/a/snapshot.jpg', { authorization: `Bearer ${share.token}` })).status, 200);
    assert.equal((await get(`/api/cameras/b/snapshot.jpg?token=${share.token}`)).status, 403);
    assert.equal((await get(`/api/cameras/b?token=${share.token}`)).status, 403);
    assert.equal((await get(`/api/cameras/b/stream.mjpeg?token=${share.token}`, {}, undefined, true)).status, 403);
    assert.equal(await upgradeStatus(ws(`/api/cameras/b/ws?token=${share.token}`)), 403);
    assert.equal(await upgradeStatus(ws(`/api/cameras/a/ws?token=${share.token}`)), 101);
    const me = JSON.parse((await get(`/api/me?token=${share.token}`)).text) as {
      kind: string;
      role: string;
      name: string;
      cameras: string[];
    };
    assert.deepEqual(me, {
      name: 'phone',
      kind: 'share',
      role: 'viewer',
      cameras: ['a'],
      recordings: false,
      clip: null,
      authRequired: true,
    });
    // A share link cannot make more share links, nor can a viewer.
    for (const credential of [share.token, VIEWER]) {
      const more = await request(`${t.url}/api/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
        body: JSON.stringify({ cameras: ['a', 'b'] }),
      });
      assert.equal(more.status, 403);
    }

    // Expired, forged, tampered: all 401.
    const expired = (await new ShareLinks(SECRET).issue(['a'], -10, 'expired')).token;
    const forged = (await new ShareLinks('another-secret-of-at-least-32-characters!!').issue(['a', 'b'], 600, 'forged'))
      .token;
    const [header = '', payload = '', signature = ''] = share.token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { cams: string[] };
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, cams: ['a', 'b'] })).toString('base64url')}.${signature}`;
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
    for (const [what, token] of [
      ['expired', expired],
      ['other secret', forged],
      ['tampered', tampered],
      ['alg none', unsigned],
    ] as const) {
      const res = await get(`/api/cameras/a/snapshot.jpg?token=${token}`);
      assert.equal(res.status, 401, what);
      assert.equal(await upgradeStatus(ws(`/api/cameras/a/ws?token=${encodeURIComponent(token)}`)), 401, what);
      assert.equal((await get(`/api/cameras/b/snapshot.jpg?token=${token}`)).status, 401, what);
    }
  });

  it('checks what a share link may be made for', async () => {
    const post = (body: object, credential = ADMIN) =>
      request(`${t.url}/api/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal((await post({ cameras: ['nope'] })).status, 400, 'no such camera');
    assert.equal((await post({ cameras: [] })).status, 400);
    assert.equal((await post({ cameras: ['a'], expires_in: 10 })).status, 400, 'too short');
    assert.equal((await post({ cameras: ['a'], expires_in: 31 * 86_400 })).status, 400, 'too long');
    // Unknown fields are dropped: they cannot make a link more than a viewer of its cameras.
    const sneaky = await post({ cameras: ['a'], role: 'admin', cams: ['a', 'b'], admin: true });
    assert.equal(sneaky.status, 201);
    const token = (JSON.parse(sneaky.text) as { token: string }).token;
    const me = JSON.parse((await get(`/api/me?token=${token}`)).text) as { role: string; cameras: string[] };
    assert.deepEqual([me.role, me.cameras], ['viewer', ['a']]);
    assert.equal((await post({ cameras: ['a'] }, token)).status, 403);
    const session = sessionOf(await loginJson('bob', BOB_PASSWORD, '127.0.0.40'));
    const fromPage = { cookie: session, origin: t.url, 'content-type': 'application/json' };
    const body = JSON.stringify({ cameras: ['a'] });
    const byViewer = await request(`${t.url}/api/tokens`, { method: 'POST', headers: fromPage, body });
    assert.equal(byViewer.status, 403, 'a viewer user may not share');
    assert.match(byViewer.text, /may not use/);
  });
});

describe('the log never holds a credential', () => {
  it('logs logins, failures and share links by name only', async () => {
    const wrongPassword = 'a-wrong-password-to-look-for';
    const config = writeConfig(dir, 'log.yaml', {
      auth: {
        users: [{ name: 'alice', role: 'admin', password_hash: aliceHash }],
        tokens: [
          { name: 'admin', role: 'admin', token_hash: hashToken(ADMIN) },
          { name: 'viewer', role: 'viewer', token_hash: hashToken(VIEWER) },
        ],
        share_secret: SECRET,
      },
      cameras: [{ id: 'a', source: 'testsrc?size=320x240&fps=10' }],
    });
    const server = await startCli(['--config', config, '--port', '0', '--log-level', 'debug']);
    const secrets = new Map<string, string>([
      ['password', PASSWORD],
      ['wrong password', wrongPassword],
      ['admin token', ADMIN],
      ['viewer token', VIEWER],
      ['Basic credentials', Buffer.from(`alice:${PASSWORD}`).toString('base64')],
      ['wrong Basic credentials', Buffer.from(`alice:${wrongPassword}`).toString('base64')],
    ]);
    try {
      const base = server.url.replace(/\/$/, '');
      const wsBase = base.replace(/^http/, 'ws');
      const json = { 'content-type': 'application/json' };
      const login = await request(`${base}/login`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ username: 'alice', password: PASSWORD }),
      });
      assert.equal(login.status, 200);
      const cookie = parseSetCookie(login.headers['set-cookie'], 'camrelay_session')!.value;
      secrets.set('session cookie', cookie);
      const formLogin = await request(`${base}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ username: 'alice', password: PASSWORD }),
      });
      secrets.set('form session cookie', parseSetCookie(formLogin.headers['set-cookie'], 'camrelay_session')!.value);
      assert.equal(
        (
          await request(`${base}/login`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify({ username: 'alice', password: wrongPassword }),
          })
        ).status,
        401,
      );
      assert.equal(
        (await request(`${base}/api/cameras`, { headers: { authorization: basic('alice', wrongPassword) } })).status,
        401,
      );
      assert.equal(
        (await request(`${base}/api/cameras/a/snapshot.jpg`, { headers: { authorization: basic('alice', PASSWORD) } }))
          .status,
        200,
      );
      assert.equal((await request(`${base}/api/cameras?token=${VIEWER}`)).status, 200);
      assert.equal(
        (await request(`${base}/api/cameras/a`, { headers: { authorization: `Bearer ${ADMIN}` } })).status,
        200,
      );
      assert.equal(
        (await request(`${base}/api/cameras`, { headers: { cookie: `camrelay_session=${cookie}` } })).status,
        200,
      );
      const fromPage = { ...json, cookie: `camrelay_session=${cookie}`, origin: base };
      const body = JSON.stringify({ cameras: ['a'] });
      const issued = await request(`${base}/api/tokens`, { method: 'POST', headers: fromPage, body });
      assert.equal(issued.status, 201);
      const share = (JSON.parse(issued.text) as { token: string }).token;
      secrets.set('share link', share);
      secrets.set("share link's signature", share.split('.')[2]!);
      assert.equal((await request(`${base}/api/cameras/a/snapshot.jpg?token=${share}`)).status, 200);
      assert.equal((await request(`${base}/api/cameras/a/snapshot.jpg?token=${share}x`)).status, 401);
      const viewer = await Viewer.open(`${wsBase}/api/cameras/a/ws?token=${share}`);
      await viewer.waitFrames(2);
      viewer.close();
      const admin = await Viewer.open(`${wsBase}/api/cameras/a/ws?token=${ADMIN}`);
      await admin.waitFrames(2);
      admin.ws.terminate(); // an unclean end, logged at debug
      assert.equal(await upgradeStatus(`${wsBase}/api/cameras/a/ws?token=${ADMIN}&window=99`), 400);
      assert.equal(
        await upgradeStatus(`${wsBase}/api/cameras/a/ws?token=${VIEWER}`, { origin: 'http://evil.example' }),
        403,
      );
      const logoutHeaders = { cookie: `camrelay_session=${cookie}`, origin: base };
      await request(`${base}/logout`, { method: 'POST', headers: logoutHeaders });
      await sleep(300);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const log = server.stdout() + server.stderr();
    // The checks below mean something only if the events were logged at all.
    assert.match(log, /"msg":"logged in"/);
    assert.match(log, /"msg":"login failed"/);
    assert.match(log, /"msg":"share link issued"/);
    for (const [what, secret] of secrets) assert.ok(!log.includes(secret), `the ${what} appears in the log`);
  });
});
