/**
 * Behind a reverse proxy: from `server.trusted_proxies` only, the client
 * address comes from X-Forwarded-For or Forwarded (for the login lockout, the
 * per-address connection limit and the viewers' addresses, WebSocket upgrades
 * included), and the scheme and host from X-Forwarded-Proto / Host (for the
 * origin check and the cookie's Secure flag). Anyone else's forwarded headers
 * are ignored. 127.0.0.2 plays the proxy; Linux lets a client bind any 127/8 address.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfigText } from '../../src/config/load.js';
import { hashPassword } from '../../src/security/password.js';
import { hashToken, newToken } from '../../src/security/secrets.js';
import { startServer, type TestServer } from '../support/index.js';
import { parseSetCookie, request, tempDir, upgrade, writeConfig, type Response } from './support.js';

const PROXY = '127.0.0.2';
const STRANGER = '127.0.0.3';
const PASSWORD = 'proxy-test-password';
const ADMIN = newToken();

let t: TestServer;

function login(from: string, headers: Record<string, string>, password = 'wrong'): Promise<Response> {
  return request(`${t.url}/login`, {
    method: 'POST',
    localAddress: from,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ username: 'alice', password }),
  });
}

describe('behind a reverse proxy: server.trusted_proxies', () => {
  before(async () => {
    const config = writeConfig(tempDir('proxy'), 'config.yaml', {
      server: { trusted_proxies: [PROXY, '10.0.0.0/8', 'fd00::/8'] },
      auth: {
        users: [{ name: 'alice', role: 'admin', password_hash: await hashPassword(PASSWORD) }],
        tokens: [{ name: 'admin', role: 'admin', token_hash: hashToken(ADMIN) }],
      },
      // High enough that alice's account is not what locks anyone out here.
      limits: { login_attempts: 3, lockout: 60, connections_per_address: 2 },
      cameras: [{ id: 'a', source: 'testsrc?size=320x240&fps=10' }],
    });
    t = await startServer([], config);
  });
  after(() => t.close());

  it('counts failed logins per forwarded client, not per proxy', async () => {
    const attacker = { 'x-forwarded-for': '198.51.100.7, 203.0.113.5' };
    // Usernames differ so that only the address count matters.
    for (let i = 0; i < 3; i++) {
      const res = await request(`${t.url}/login`, {
        method: 'POST',
        localAddress: PROXY,
        headers: { 'content-type': 'application/json', ...attacker },
        body: JSON.stringify({ username: `guess-${i}`, password: 'x' }),
      });
      assert.equal(res.status, 401);
    }
    assert.equal((await login(PROXY, attacker)).status, 429, 'the client behind the proxy is locked out');
    // The last hop before the proxy is the client: what the attacker put in front of it does not matter.
    assert.equal((await login(PROXY, { 'x-forwarded-for': '203.0.113.5' })).status, 429);
    const other = await login(PROXY, { 'x-forwarded-for': '203.0.113.6' }, PASSWORD);
    assert.equal(other.status, 200, 'another client behind the same proxy is not');
  });

  it('reads RFC 7239 Forwarded too', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await request(`${t.url}/login`, {
        method: 'POST',
        localAddress: PROXY,
        headers: { 'content-type': 'application/json', forwarded: 'for="[2001:db8::9]:4711";proto=http' },
        body: JSON.stringify({ username: `fwd-${i}`, password: 'x' }),
      });
      assert.equal(res.status, 401);
    }
    assert.equal(
      (await login(PROXY, { 'x-forwarded-for': '2001:db8::9' })).status,
      429,
      'the same client, however the proxy names it',
    );
  });

  it('ignores forwarded headers from anyone else: a stranger is counted by its socket address', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await request(`${t.url}/login`, {
        method: 'POST',
        localAddress: STRANGER,
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': `192.0.2.${i}`,
          forwarded: `for=192.0.2.${i + 100}`,
        },
        body: JSON.stringify({ username: `stranger-${i}`, password: 'x' }),
      });
      assert.equal(res.status, 401);
    }
    assert.equal(
      (await login(STRANGER, { 'x-forwarded-for': '192.0.2.200' })).status,
      429,
      'a new X-Forwarded-For buys nothing',
    );
  });

  it('takes scheme and host from the proxy only, for the origin check and the Secure cookie', async () => {
    const headers = {
      host: 'cam.example.net',
      'x-forwarded-proto': 'https',
      origin: 'https://cam.example.net',
      'x-forwarded-for': '203.0.113.20',
    };
    const ok = await login(PROXY, headers, PASSWORD);
    assert.equal(ok.status, 200, ok.text);
    const cookie = parseSetCookie(ok.headers['set-cookie'], 'camrelay_session');
    assert.ok(cookie?.attributes.includes('secure'), 'Secure: the browser reached the proxy over HTTPS');
    const stranger = await login(STRANGER, headers, PASSWORD);
    assert.equal(
      stranger.status,
      403,
      'X-Forwarded-Proto from a stranger is not believed: https://… is not this server',
    );
    const share = await request(`${t.url}/api/tokens`, {
      method: 'POST',
      localAddress: PROXY,
      headers: { ...headers, authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ cameras: ['a'] }),
    });
    assert.equal(share.status, 201);
    assert.match(
      (JSON.parse(share.text) as { url: string }).url,
      /^https:\/\/cam\.example\.net\/\?token=/,
      'links name the public address',
    );
  });

  it('applies the per-address limits to the forwarded client, WebSocket upgrades included', async () => {
    const ws = `${t.url.replace(/^http/, 'ws')}/api/cameras/a/ws?token=${ADMIN}`;
    const open = async (from: string, client?: string) =>
      upgrade(ws, { localAddress: from, headers: client ? { 'x-forwarded-for': client } : {} });
    const held = [
      await open(PROXY, '203.0.113.30'),
      await open(PROXY, '203.0.113.30'),
      await open(PROXY, '203.0.113.31'),
    ];
    try {
      assert.ok(
        held.every((h) => h.ok),
        'three sockets through one proxy: it is not one client',
      );
      const third = await open(PROXY, '203.0.113.30');
      assert.equal(third.ok, false, 'a third from one client is over connections_per_address');
      if (!third.ok) assert.equal(third.status, 429);
      const details = await request(`${t.url}/api/cameras/a`, { headers: { authorization: `Bearer ${ADMIN}` } });
      const addresses = (JSON.parse(details.text) as { viewers: { remoteAddress: string }[] }).viewers
        .map((v) => v.remoteAddress)
        .sort();
      assert.deepEqual(
        addresses,
        ['203.0.113.30', '203.0.113.30', '203.0.113.31'],
        'viewers are listed by their own address',
      );
    } finally {
      for (const h of held) if (h.ok) h.ws.close();
    }
  });

  it('validates trusted_proxies, naming the key and the value', () => {
    for (const bad of ['10.0.0.0/33', 'proxy.example', '1.2.3.4/8/1', 'fd00::/129']) {
      assert.throws(
        () => parseConfigText(`server:\n  trusted_proxies: ["${bad}"]\n`, 'bad.yaml'),
        (err: Error) => err.message.includes('server.trusted_proxies[0]') && err.message.includes(JSON.stringify(bad)),
        bad,
      );
    }
    assert.deepEqual(
      parseConfigText('server:\n  trusted_proxies: [127.0.0.1, "10.0.0.0/8", "::1", "fd00::/8"]\n', 'ok.yaml').server
        .trusted_proxies,
      ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8'],
    );
  });
});
