/**
 * HTTPS and WSS on the server's one port, with a self-signed certificate made
 * by openssl for this test: HSTS, frames over WSS, no plain HTTP on the TLS
 * port, Secure session cookies; and, with camrelay as a process, certificate
 * reload on SIGHUP and the plain-HTTP redirect port.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../src/security/password.js';
import { hashToken, newToken } from '../../src/security/secrets.js';
import { sleep, startServer, waitFor, type TestServer } from '../support/index.js';
import {
  freePort,
  parseSetCookie,
  rawHttp,
  request,
  startCli,
  tempDir,
  Viewer,
  writeConfig,
  type CliServer,
} from './support.js';

const dir = tempDir('tls');
const PASSWORD = 'tls-test-password';
const TOKEN = newToken();

interface Cert {
  cert: string;
  key: string;
  /** The PEM text of the certificate. */
  pem: string;
  fingerprint256: string;
}

/** A new self-signed certificate for localhost and 127.0.0.1, written to `name`-cert.pem and `name`-key.pem. */
function makeCert(name: string): Cert {
  const cert = join(dir, `${name}-cert.pem`);
  const key = join(dir, `${name}-key.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const pem = readFileSync(cert, 'utf8');
  return { cert, key, pem, fingerprint256: new X509Certificate(pem).fingerprint256 };
}

/** The SHA-256 fingerprint of the certificate a new TLS connection is given. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fingerprint);
    });
    socket.once('error', reject);
  });
}

describe('TLS in process: HTTPS, WSS, HSTS, Secure cookies', () => {
  let t: TestServer;
  let base: string;
  let cert: Cert;

  before(async () => {
    cert = makeCert('a');
    const config = writeConfig(dir, 'inprocess.yaml', {
      server: { tls: { cert: cert.cert, key: cert.key } },
      auth: {
        users: [{ name: 'alice', role: 'admin', password_hash: await hashPassword(PASSWORD) }],
        tokens: [{ name: 'viewer', role: 'viewer', token_hash: hashToken(TOKEN) }],
      },
    });
    t = await startServer(['cam=testsrc?size=320x240&fps=30'], config);
    base = t.url.replace(/^http:/, 'https:');
  });
  after(() => t.close());

  it('serves HTTPS with the configured certificate, and HSTS', async () => {
    const res = await request(`${base}/api/health`, { ca: cert.pem });
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.text) as { status: string }).status, 'ok');
    assert.equal(res.headers['strict-transport-security'], 'max-age=31536000');
    assert.equal(await servedFingerprint(Number(new URL(base).port)), cert.fingerprint256);
    // Verified for real: without the CA the self-signed certificate is refused.
    await assert.rejects(request(`${base}/api/health`), /self[- ]signed/i);
  });

  it('streams over WSS', async () => {
    const viewer = await Viewer.open(`${base.replace(/^https:/, 'wss:')}/api/cameras/cam/ws?token=${TOKEN}`, {
      ca: cert.pem,
    });
    try {
      await viewer.waitFrames(20, 15_000);
      assert.equal(viewer.bad, 0, 'every binary message is a v1 header followed by a JPEG');
      assert.equal(viewer.closedWith, undefined);
    } finally {
      viewer.close();
    }
  });

  it('speaks no plain HTTP on the TLS port', async () => {
    const port = Number(new URL(base).port);
    const raw = await rawHttp(port, `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, { timeoutMs: 3000 });
    assert.notEqual(raw.status, 200);
    assert.doesNotMatch(raw.text, /"status":"ok"/);
    await assert.rejects(request(`http://127.0.0.1:${port}/api/health`, { timeoutMs: 3000 }));
  });

  it('marks the session cookie Secure', async () => {
    const res = await request(`${base}/login`, {
      method: 'POST',
      ca: cert.pem,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: PASSWORD }),
    });
    assert.equal(res.status, 200, res.text);
    const cookie = parseSetCookie(res.headers['set-cookie'], 'camrelay_session');
    assert.ok(cookie, 'a session cookie');
    assert.ok(cookie.attributes.includes('secure'), `Secure in ${cookie.attributes.join('; ')}`);
    assert.ok(cookie.attributes.includes('httponly'));
    assert.ok(cookie.attributes.includes('samesite=lax'));
    const me = await request(`${base}/api/me`, {
      ca: cert.pem,
      headers: { cookie: `camrelay_session=${cookie.value}` },
    });
    assert.equal(me.status, 200);
    assert.equal((JSON.parse(me.text) as { name: string }).name, 'alice');
  });
});

describe('TLS as a process: SIGHUP reload and the HTTP redirect', () => {
  let server: CliServer;
  let first: Cert;
  let live: { cert: string; key: string };
  let redirectPort: number;

  before(async () => {
    first = makeCert('first');
    live = { cert: join(dir, 'live-cert.pem'), key: join(dir, 'live-key.pem') };
    writeFileSync(live.cert, readFileSync(first.cert));
    writeFileSync(live.key, readFileSync(first.key));
    redirectPort = await freePort();
    const config = writeConfig(dir, 'process.yaml', {
      server: { host: '127.0.0.1', port: 0, tls: { cert: live.cert, key: live.key, redirect_http_port: redirectPort } },
      cameras: [{ id: 'cam', source: 'testsrc?size=320x240&fps=30' }],
    });
    server = await startCli(['--config', config]);
  });
  after(async () => {
    await server?.stop();
  });

  it('prints an https:// URL and serves the certificate of the files', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(await servedFingerprint(server.port), first.fingerprint256);
  });

  it('serves a renewed certificate after SIGHUP, keeping open connections', async () => {
    const viewer = await Viewer.open(`wss://127.0.0.1:${server.port}/api/cameras/cam/ws`, { ca: first.pem });
    try {
      await viewer.waitFrames(5);
      const second = makeCert('second');
      // As a renewal tool would: new files put in place under the configured names.
      renameSync(second.key, live.key);
      renameSync(second.cert, live.cert);
      assert.equal(await servedFingerprint(server.port), first.fingerprint256, 'nothing changes before the signal');
      process.kill(server.pid, 'SIGHUP');
      await waitFor(
        async () => (await servedFingerprint(server.port)) === second.fingerprint256,
        5000,
        'the new certificate on new connections',
      );
      // The log line travels through a pipe: it may arrive after the new certificate is served.
      await waitFor(() => /TLS certificate reloaded/.test(server.stdout()), 5000, 'the reload in the log');
      const res = await request(`${server.url}api/health`, { ca: second.pem });
      assert.equal(res.status, 200);
      // The connection made under the old certificate goes on.
      // Frames keep coming over it (10 of them; they were asked of the second after the reload before).
      await viewer.waitFrames(viewer.frames.length + 10);
      assert.equal(viewer.closedWith, undefined);

      // A broken renewal keeps the certificate in use.
      writeFileSync(live.cert, 'not a certificate\n');
      process.kill(server.pid, 'SIGHUP');
      await waitFor(() => /TLS certificate reload failed/.test(server.stdout()), 5000, 'the failed reload in the log');
      await sleep(200);
      assert.equal(await servedFingerprint(server.port), second.fingerprint256);
      // So does a certificate that does not match the key (a renewal caught halfway).
      writeFileSync(live.cert, first.pem);
      process.kill(server.pid, 'SIGHUP');
      await waitFor(
        () => (server.stdout().match(/TLS certificate reload failed/g) ?? []).length === 2,
        5000,
        'the second failed reload',
      );
      assert.match(server.stdout(), /key values mismatch/);
      assert.equal(await servedFingerprint(server.port), second.fingerprint256);
      assert.equal((await request(`${server.url}api/health`, { ca: second.pem })).status, 200);
      assert.equal(server.child.exitCode, null, 'still running');
    } finally {
      viewer.close();
    }
  });

  it('redirects plain HTTP to HTTPS with 308 from redirect_http_port', async () => {
    const res = await request(`http://127.0.0.1:${redirectPort}/api/cameras/cam/snapshot.jpg?x=1`);
    assert.equal(res.status, 308);
    assert.equal(res.headers.location, `https://127.0.0.1:${server.port}/api/cameras/cam/snapshot.jpg?x=1`);
    const post = await request(`http://127.0.0.1:${redirectPort}/login`, {
      method: 'POST',
      body: 'a=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(post.status, 308, 'POST too (308 keeps the method; the client resends over HTTPS)');
    assert.equal(post.headers.location, `https://127.0.0.1:${server.port}/login`);
    assert.equal(post.headers['set-cookie'], undefined);
  });
});
