/**
 * A login flood must not starve the server: password checks are bounded (a
 * few at once, a short queue, 429 or 503 beyond), so the pages and other
 * users' logins keep answering. The queue is shared fairly between client
 * networks, so a flood from many addresses and an IPv6 /64 leaves the owner
 * a place; 503s count toward the lockout; the log gets a few lines per
 * address and a summary. Asserts the bounds and that others are answered,
 * never how fast (the machine is shared).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../src/security/password.js';
import { startServer, waitFor, type TestServer } from '../support/index.js';
import { request, startCli, tempDir, writeConfig, type Response } from './support.js';

const PASSWORD = 'flood-test-password';
const CAMERA = ['--camera', 'a=testsrc?size=160x120&fps=5'];
let t: TestServer;

function login(user: string, password: string, localAddress: string): Promise<Response> {
  return request(`${t.url}/login`, {
    method: 'POST',
    localAddress,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password }),
    timeoutMs: 120_000,
  });
}

describe('a login flood', () => {
  before(async () => {
    const hash = await hashPassword(PASSWORD);
    const config = writeConfig(tempDir('flood'), 'config.yaml', {
      auth: { users: ['alice', 'bob'].map((name) => ({ name, role: 'admin', password_hash: hash })) },
      limits: { login_attempts: 5, lockout: 60, login_concurrency: 2, login_queue: 4, connections_per_address: 1000 },
      cameras: [{ id: 'a', source: 'testsrc?size=320x240&fps=10' }],
    });
    t = await startServer([], config);
  });
  after(() => t.close());

  it('from one address: at most login_attempts attempts, the rest 429 at once; pages and other users go on', async () => {
    const flood = Promise.all(Array.from({ length: 150 }, (_, i) => login('alice', `guess-${i}`, '127.0.0.100')));
    const page = await request(`${t.url}/`, { timeoutMs: 120_000 });
    // (from another network: 127.0.0.0/24 has its share of the queue, taken by the flood)
    const other = await login('bob', PASSWORD, '127.0.2.101');
    const statuses = (await flood).map((r) => r.status);
    assert.equal(page.status, 200, 'GET / during the flood');
    assert.equal(other.status, 200, "another user's login during the flood");
    assert.ok(
      statuses.every((s) => s === 401 || s === 429 || s === 503),
      statuses.join(' '),
    );
    // Checked (401) or refused for its share of the queue (503): either way one of its attempts.
    const attempts = statuses.filter((s) => s !== 429).length;
    assert.ok(attempts <= 5, `attempts: ${attempts}`);
  });

  it('from many addresses: a bounded queue, 503 with Retry-After beyond it', async () => {
    const flood = Promise.all(Array.from({ length: 60 }, (_, i) => login(`user-${i}`, 'guess', `127.0.1.${i + 1}`)));
    const page = await request(`${t.url}/`, { timeoutMs: 120_000 });
    const results = await flood;
    const statuses = results.map((r) => r.status);
    assert.equal(page.status, 200, 'GET / during the flood');
    assert.ok(
      statuses.every((s) => s === 401 || s === 503),
      statuses.join(' '),
    );
    const refused = results.filter((r) => r.status === 503);
    assert.ok(refused.length > 0, 'beyond login_concurrency + login_queue, checks are refused');
    for (const r of refused) assert.ok(Number(r.headers['retry-after']) >= 1);
    // A refused check counts against its address (1 of 5 here), not against the account.
    const again = await login('bob', PASSWORD, '127.0.1.1');
    assert.equal(again.status, 200);
  });
});

describe('a flood from many addresses and an IPv6 /64, through a trusted proxy', () => {
  const ATTEMPTS = 5;
  let proxied: TestServer;

  before(async () => {
    const hash = await hashPassword(PASSWORD);
    const config = writeConfig(tempDir('flood-fair'), 'config.yaml', {
      server: { trusted_proxies: ['127.0.0.1'] },
      auth: { users: [{ name: 'alice', role: 'admin', password_hash: hash }] },
      // The queue as configured by default: 2 checks at once, 16 waiting.
      limits: { login_attempts: ATTEMPTS, lockout: 600, login_concurrency: 2, login_queue: 16 },
      cameras: [{ id: 'a', source: 'testsrc?size=320x240&fps=5' }],
    });
    proxied = await startServer([], config);
  });
  after(() => proxied.close());

  /** A request that the proxy says comes from `client`. */
  const from = (client: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) =>
    request(`${proxied.url}${path}`, {
      method: init.body === undefined ? 'GET' : 'POST',
      headers: { 'x-forwarded-for': client, ...init.headers },
      body: init.body,
      timeoutMs: 120_000,
    });
  const loginFrom = (client: string, user: string, password: string) =>
    from(client, '/login', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: user, password }),
    });

  it('the owner still logs in (form and Basic); each address and the /64 are locked out by their 503s too', async () => {
    // 250 IPv4 addresses of one network, 10 of another that each send many, and one /64 written
    // with a new address each time.
    const hex = () => Math.floor(Math.random() * 0x10000).toString(16);
    let n = 0;
    const nextAddress = (): string => {
      n++;
      if (n % 3 === 0) return `2001:db8:bad:64:${hex()}:${hex()}:${hex()}:${hex()}`;
      return n % 3 === 1 ? `203.0.113.${(n % 250) + 1}` : `198.51.100.${(n % 10) + 1}`;
    };
    const answers = new Map<string, number[]>();
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const address = nextAddress();
        const { status } = await loginFrom(address, `intruder-${n}`, 'guess');
        answers.set(address, [...(answers.get(address) ?? []), status]);
      }
    };
    const workers = Array.from({ length: 24 }, worker);
    try {
      const refused = () => [...answers.values()].flat().filter((s) => s === 503).length;
      const busiest = () => Math.max(0, ...[...answers.values()].map((statuses) => statuses.length));
      await waitFor(
        () => refused() >= 20 && busiest() > 2 * ATTEMPTS,
        60_000,
        'the flood fills its share of the queue, and some addresses have sent more than their attempts',
      );

      const owner: number[] = [];
      for (let i = 0; i < 3; i++) owner.push((await loginFrom('192.0.2.10', 'alice', PASSWORD)).status);
      const basic = `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`;
      for (let i = 0; i < 3; i++)
        owner.push((await from('192.0.2.11', '/api/me', { headers: { authorization: basic } })).status);
      assert.deepEqual(owner, [200, 200, 200, 200, 200, 200], 'the owner during the flood (form, then Basic)');
    } finally {
      stop = true;
      await Promise.all(workers);
    }

    // Every answer but 429 was an attempt counted against its address: 401s and 503s alike.
    for (const [address, statuses] of answers) {
      if (address.includes(':')) continue;
      const counted = statuses.filter((s) => s !== 429).length;
      assert.ok(counted <= ATTEMPTS, `${address}: ${statuses.join(' ')}`);
    }
    // The /64 is one client: a new address in it is locked out.
    const fresh = await loginFrom('2001:db8:bad:64::1234', 'intruder-new', 'guess');
    assert.equal(fresh.status, 429, 'a new address of the flooding /64');
    assert.equal((await loginFrom('2001:db8:bad:65::1', 'intruder-new', 'guess')).status, 401, 'the next /64');
  });
});

describe('the log during a login flood', () => {
  it('a few lines per address, then one summary of the rest', async () => {
    const hash = await hashPassword(PASSWORD);
    const config = writeConfig(tempDir('flood-log'), 'config.yaml', {
      auth: { users: [{ name: 'alice', role: 'admin', password_hash: hash }] },
      limits: { login_attempts: 5, lockout: 60, connections_per_address: 1000 },
    });
    const server = await startCli(['--config', config, '--port', '0', ...CAMERA]);
    const base = server.url.replace(/\/$/, '');
    try {
      const attempt = () =>
        request(`${base}/login`, {
          method: 'POST',
          localAddress: '127.0.5.9',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'mallory', password: 'guess' }),
          timeoutMs: 120_000,
        });
      const statuses: number[] = [];
      for (let round = 0; round < 6; round++)
        statuses.push(...(await Promise.all(Array.from({ length: 10 }, attempt))).map((r) => r.status));
      assert.ok(
        statuses.every((s) => s === 401 || s === 429 || s === 503),
        statuses.join(' '),
      );
      assert.equal((await request(`${base}/api/health`)).status, 200);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const lines = server
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; address?: string; suppressed?: number });
    const failed = lines.filter((l) => l.msg === 'login failed');
    assert.equal(failed.length, 5, 'the first five failures are logged one by one');
    // The rest are summed up when the window ends, at the latest when camrelay stops.
    const summary = lines.filter((l) => /more failed logins from .* suppressed/.test(l.msg));
    assert.deepEqual(
      summary.map((l) => [l.msg, l.address, l.suppressed]),
      [['55 more failed logins from 127.0.5.0/24 suppressed', '127.0.5.0/24', 55]],
    );
  });
});
