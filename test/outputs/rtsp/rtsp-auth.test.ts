/**
 * RTSP clients log in like every other viewer: the users and tokens of `auth`, Basic and Digest (a user's
 * `rtsp_digest`), per-camera permissions, and the login limits a wrong password counts toward. Loopback
 * gets no pass when credentials are configured (as on HTTP). ffmpeg itself logs in with Digest.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../../src/security/password.js';
import { hashToken } from '../../../src/security/secrets.js';
import { startServer, type TestServer } from '../../support/index.js';
import { RtspTestClient, type RtspResponse } from '../../support/rtsp-client.js';
import { ffmpegRtsp } from '../../support/rtsp-players.js';

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const TOKEN = 'rtsp-test-token-0123456789abcdefghijklmnop';

describe('RTSP auth', () => {
  let ts: TestServer;
  let port: number;
  const url = (path: string): string => `rtsp://127.0.0.1:${port}/${path}`;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtsp-auth-'));
    const file = join(dir, 'camrelay.yaml');
    writeFileSync(
      file,
      [
        'rtsp: { port: 0 }',
        'limits: { login_attempts: 4, lockout: 60, viewers_per_credential: 3 }',
        'auth:',
        '  users:',
        `    - { name: alice, password_hash: "${await hashPassword('alice pw')}", cameras: [door], rtsp_digest: ${md5('alice:camrelay:alice pw')} }`,
        `    - { name: bob, password_hash: "${await hashPassword('bob pw')}", cameras: [yard] }`,
        '  tokens:',
        `    - { name: nvr, token_hash: "${hashToken(TOKEN)}", cameras: [door] }`,
        'cameras:',
        '  - { id: door, source: "testsrc?size=160x120&fps=10" }',
        '  - { id: yard, source: "testsrc?size=160x120&fps=10" }',
      ].join('\n'),
    );
    ts = await startServer([], file);
    port = ts.server.rtsp!.port;
  });

  after(async () => {
    await ts?.close();
  });

  async function describeWith(headers: Record<string, string>, path = 'door'): Promise<RtspResponse> {
    const client = await RtspTestClient.open(port);
    try {
      return await client.request('DESCRIBE', url(path), headers);
    } finally {
      client.close();
    }
  }

  it('no credentials: 401 with Digest and Basic challenges (loopback included); OPTIONS needs none', async () => {
    const client = await RtspTestClient.open(port);
    try {
      const options = await client.request('OPTIONS', url('door'));
      assert.equal(options.status, 200);
      assert.match(options.headers.get('public')!, /DESCRIBE/);
      const response = await client.request('DESCRIBE', url('door'));
      assert.equal(response.status, 401);
      const challenges = response.headers.get('www-authenticate')!.split('\n');
      assert.match(challenges[0]!, /^Digest realm="camrelay", nonce="[0-9a-f]+\.[0-9a-f]+"$/);
      assert.equal(challenges[1], 'Basic realm="camrelay"');
    } finally {
      client.close();
    }
  });

  it('Basic with the right password: the SDP; a token as the password of user `token` too', async () => {
    const response = await describeWith({ Authorization: basic('alice', 'alice pw') });
    assert.equal(response.status, 200);
    assert.match(response.body, /a=rtpmap:96 H264\/90000/);
    assert.equal((await describeWith({ Authorization: basic('token', TOKEN) })).status, 200);
    assert.equal((await describeWith({ Authorization: basic('token', 'not the token') })).status, 401);
  });

  it('Digest with the right response; a wrong one, or a forged nonce, is 401', async () => {
    const client = await RtspTestClient.open(port);
    try {
      const challenge = await client.request('DESCRIBE', url('door'));
      const nonce = /nonce="([^"]+)"/.exec(challenge.headers.get('www-authenticate')!)![1]!;
      const digest = (password: string, n = nonce): string => {
        const response = md5(`${md5(`alice:camrelay:${password}`)}:${n}:${md5(`DESCRIBE:${url('door')}`)}`);
        return `Digest username="alice", realm="camrelay", nonce="${n}", uri="${url('door')}", response="${response}"`;
      };
      assert.equal((await client.request('DESCRIBE', url('door'), { Authorization: digest('alice pw') })).status, 200);
      assert.equal((await client.request('DESCRIBE', url('door'), { Authorization: digest('wrong') })).status, 401);
      const forged = `${Date.now().toString(16)}.${'0'.repeat(32)}`;
      assert.equal(
        (await client.request('DESCRIBE', url('door'), { Authorization: digest('alice pw', forged) })).status,
        401,
      );
    } finally {
      client.close();
    }
  });

  it('ffmpeg logs in (Digest, offered first) and decodes', async () => {
    const result = await ffmpegRtsp(`rtsp://alice:alice%20pw@127.0.0.1:${port}/door`, 'tcp', 1);
    assert.equal(result.errors, '');
    assert.ok(result.frames > 0);
  });

  it('a user limited to another camera: 403; a token too', async () => {
    assert.equal((await describeWith({ Authorization: basic('bob', 'bob pw') })).status, 403);
    assert.equal((await describeWith({ Authorization: basic('alice', 'alice pw') }, 'yard')).status, 403);
    assert.equal((await describeWith({ Authorization: basic('token', TOKEN) }, 'yard')).status, 403);
  });

  it('connections per credential: past its share, 429 and closed', async () => {
    const clients = await Promise.all([0, 1, 2, 3].map(() => RtspTestClient.open(port)));
    try {
      const statuses: number[] = [];
      for (const client of clients)
        statuses.push((await client.request('OPTIONS', url('door'), { Authorization: basic('token', TOKEN) })).status);
      // OPTIONS needs no credential: the share is counted when one is checked.
      assert.deepEqual(statuses, [200, 200, 200, 200]);
      const described: number[] = [];
      for (const client of clients)
        described.push(
          (await client.request('DESCRIBE', url('door'), { Authorization: basic('token', TOKEN) })).status,
        );
      assert.deepEqual(described, [200, 200, 200, 429]);
      await clients[3]!.ended;
    } finally {
      for (const client of clients) client.close();
    }
  });

  it('wrong passwords count toward the login limits: 401 until the account is locked out, then 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await describeWith({ Authorization: basic('bob', `guess ${i}`) })).status);
    assert.deepEqual(statuses.slice(0, 3), [401, 401, 401]);
    assert.equal(statuses.at(-1), 429);
    const locked = await describeWith({ Authorization: basic('bob', 'bob pw') });
    assert.equal(locked.status, 429, 'even the right password, while locked out');
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
  });
});
