/**
 * Secure by default: bound to loopback camrelay needs no credentials; bound
 * to any other address it refuses to start without them, unless told
 * --allow-anonymous, which it then warns about.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopback } from '../../src/security/exposure.js';
import { hashToken, newToken } from '../../src/security/secrets.js';
import { request, runCli, startCli, tempDir, writeConfig } from './support.js';

const CAMERA = ['--camera', 'cam=testsrc?size=320x240&fps=5'];
const dir = tempDir('exposure');

interface LogLine {
  level: number;
  msg: string;
}

function logLines(stdout: string): LogLine[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

describe('exposure: who may reach an unauthenticated server', () => {
  it('isLoopback knows loopback addresses from the others', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) {
      assert.equal(isLoopback(host), true, host);
    }
    for (const host of [
      '0.0.0.0',
      '::',
      '[::]',
      '10.0.0.1',
      '192.168.1.20',
      '172.16.0.1',
      '128.0.0.1',
      '::ffff:10.0.0.1',
      '127.0.0.1.nip.io',
      'camera.local',
      'fe80::1',
    ]) {
      assert.equal(isLoopback(host), false, host);
    }
  });

  it('refuses 0.0.0.0 without credentials, exit 2, saying how to configure them', () => {
    const r = runCli(['serve', '--host', '0.0.0.0', '--port', '0', ...CAMERA]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /refusing to serve 0\.0\.0\.0 without authentication/);
    assert.match(r.stderr, /docs\/security\.md/);
    assert.match(r.stderr, /hash-password/);
    assert.match(r.stderr, /--allow-anonymous/);
    // The same from the config file, and for IPv6's any-address.
    const config = writeConfig(dir, 'open.yaml', { server: { host: '0.0.0.0', port: 0 } });
    const fromFile = runCli(['serve', '--config', config, ...CAMERA]);
    assert.equal(fromFile.status, 2, fromFile.stderr);
    assert.match(fromFile.stderr, /refusing to serve 0\.0\.0\.0/);
    const v6 = runCli(['serve', '--host', '::', '--port', '0', ...CAMERA]);
    assert.equal(v6.status, 2, v6.stderr);
    assert.match(v6.stderr, /refusing to serve ::/);
  });

  it('serves 0.0.0.0 without credentials with --allow-anonymous, and logs a warning', async () => {
    const server = await startCli(['--host', '0.0.0.0', '--port', '0', '--allow-anonymous', ...CAMERA]);
    try {
      assert.match(server.url, /^http:\/\/localhost:\d+\/$/);
      const res = await request(`http://127.0.0.1:${server.port}/api/cameras`);
      assert.equal(res.status, 200, 'no credential needed');
      const warning = logLines(server.stdout()).find((l) => /without authentication/i.test(l.msg));
      assert.ok(warning, `a warning in the log:\n${server.stdout()}`);
      assert.equal(warning.level, 40, 'at level warn');
      assert.match(warning.msg, /0\.0\.0\.0/);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('serves 0.0.0.0 with credentials configured, and asks for them', async () => {
    const token = newToken();
    const config = writeConfig(dir, 'tokens.yaml', {
      server: { host: '0.0.0.0' },
      auth: { tokens: [{ name: 'phone', token_hash: hashToken(token) }] },
    });
    const server = await startCli(['--config', config, '--port', '0', ...CAMERA]);
    try {
      assert.equal((await request(`http://127.0.0.1:${server.port}/api/cameras`)).status, 401);
      assert.equal(
        (
          await request(`http://127.0.0.1:${server.port}/api/cameras`, {
            headers: { authorization: `Bearer ${token}` },
          })
        ).status,
        200,
      );
      assert.equal(
        logLines(server.stdout()).find((l) => /without authentication/i.test(l.msg)),
        undefined,
        'no warning when credentials are configured',
      );
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('serves 127.0.0.1 without credentials, and without a warning', async () => {
    const server = await startCli(['--host', '127.0.0.1', '--port', '0', ...CAMERA]);
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const res = await request(`${server.url}api/cameras`);
      assert.equal(res.status, 200);
      assert.equal(logLines(server.stdout()).filter((l) => l.level >= 40).length, 0, server.stdout());
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});
