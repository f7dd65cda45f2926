/**
 * A login flood must not starve the server: password checks are bounded (a
 * few at once, a short queue, 429 or 503 beyond), so the pages and other
 * users' logins keep answering. Asserts the bound and that others are
 * answered, never how fast (the machine is shared).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../src/security/password.js';
import { startServer, type TestServer } from '../support/index.js';
import { request, tempDir, writeConfig, type Response } from './support.js';

const PASSWORD = 'flood-test-password';
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

  it('from one address: at most login_attempts checks, the rest 429 at once; pages and other users go on', async () => {
    const flood = Promise.all(Array.from({ length: 150 }, (_, i) => login('alice', `guess-${i}`, '127.0.0.100')));
    const page = await request(`${t.url}/`, { timeoutMs: 120_000 });
    const other = await login('bob', PASSWORD, '127.0.0.101');
    const statuses = (await flood).map((r) => r.status);
    assert.equal(page.status, 200, 'GET / during the flood');
    assert.equal(other.status, 200, "another user's login during the flood");
    assert.ok(
      statuses.every((s) => s === 401 || s === 429),
      statuses.join(' '),
    );
    assert.ok(statuses.filter((s) => s === 401).length <= 5, `checked: ${statuses.filter((s) => s === 401).length}`);
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
    // Refused checks were never made: they do not count as failures.
    const again = await login('bob', PASSWORD, '127.0.1.1');
    assert.equal(again.status, 200);
  });
});
