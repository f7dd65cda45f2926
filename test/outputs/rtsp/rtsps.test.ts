/**
 * rtsps: with `server.tls`, the RTSP port speaks TLS with the server's certificate; ffmpeg reads a camera
 * over it, and RTP over UDP (which would leave the video in the clear) is refused with 461.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../../support/index.js';
import { ffmpegRtsp } from '../../support/rtsp-players.js';

describe('rtsps', () => {
  let ts: TestServer;
  let port: number;
  let ca: string;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtsps-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'].concat([
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ]),
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    ca = readFileSync(cert, 'utf8');
    const file = join(dir, 'camrelay.yaml');
    writeFileSync(
      file,
      [
        `server: { tls: { cert: "${cert}", key: "${key}" } }`,
        'rtsp: { port: 0 }',
        'cameras:',
        '  - { id: door, source: "testsrc?size=160x120&fps=10" }',
      ].join('\n'),
    );
    ts = await startServer([], file);
    port = ts.server.rtsp!.port;
    assert.equal(ts.server.rtsp!.scheme, 'rtsps');
  });

  after(async () => {
    await ts?.close();
  });

  /** One request over TLS, checking the certificate; the response's status line and headers. */
  function request(text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => socket.write(text));
      let out = '';
      socket.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(out);
        }
      });
      socket.on('error', reject);
    });
  }

  it('answers over TLS with the server’s certificate', async () => {
    const response = await request(`OPTIONS rtsps://127.0.0.1:${port}/door RTSP/1.0\r\nCSeq: 1\r\n\r\n`);
    assert.match(response, /^RTSP\/1\.0 200 OK\r\n/);
  });

  it('ffmpeg reads a camera over rtsps (TCP)', async () => {
    const result = await ffmpegRtsp(`rtsps://127.0.0.1:${port}/door`, 'tcp', 1);
    assert.equal(result.errors, '');
    assert.ok(result.frames > 0);
  });

  it('refuses RTP over UDP, which would carry the video in the clear', async () => {
    const socket = await new Promise<ReturnType<typeof connect>>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => resolve(s));
      s.on('error', reject);
    });
    const responses: string[] = [];
    let buffer = '';
    socket.on('data', (d: Buffer) => {
      buffer += d.toString('latin1');
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = buffer.slice(0, end);
        const length = Number(/Content-Length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buffer.length < end + 4 + length) break;
        responses.push(head);
        buffer = buffer.slice(end + 4 + length);
      }
    });
    const url = `rtsps://127.0.0.1:${port}/door`;
    socket.write(`DESCRIBE ${url} RTSP/1.0\r\nCSeq: 1\r\n\r\n`);
    socket.write(
      `SETUP ${url}/trackID=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP;unicast;client_port=5000-5001\r\n\r\n`,
    );
    const deadline = Date.now() + 15_000;
    while (responses.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    assert.match(responses[0] ?? '', /^RTSP\/1\.0 200 /);
    assert.match(responses[1] ?? '', /^RTSP\/1\.0 461 /);
  });
});
