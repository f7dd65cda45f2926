/**
 * A camera's offline reason: credentials masked wherever it goes (the API,
 * the viewers' status message, the log), and saying what happened rather
 * than quoting ffmpeg's last warning (the wording: test/ffmpeg/exit-reason.test.ts). Real ffmpeg against real local
 * servers: one answering 401, a closed port, a stream that ends.
 */
import assert from 'node:assert/strict';
import { createServer, type Server as HttpServer } from 'node:http';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { buildServer, type Server } from '../../src/server/app.js';
import { maskCredentials, sourceSecrets } from '../../src/sources/credentials.js';
import { ffmpegJpeg, freePort, V1Client, waitFor, wsUrl } from '../support/index.js';

const PASSWORD = 'hunter22';
const ENCODED = 's3cr%40t'; // s3cr@t

describe('maskCredentials', () => {
  it('masks the userinfo of any URL, a raw @ in the password included', () => {
    assert.equal(
      maskCredentials('rtsp://admin:pw@10.0.0.7/s: Connection refused'),
      'rtsp://***@10.0.0.7/s: Connection refused',
    );
    assert.equal(maskCredentials("'rtsp://admin:p@ss@cam/x'"), "'rtsp://***@cam/x'");
    assert.equal(
      maskCredentials('http://user@host/ and https://a:b@c:8443/d'),
      'http://***@host/ and https://***@c:8443/d',
    );
    assert.equal(maskCredentials('no URL here, user@example.net'), 'no URL here, user@example.net');
  });

  it('masks credential query values and the configured secrets in every encoding', () => {
    assert.equal(
      maskCredentials('http://cam/x.cgi?user=admin&password=pw&size=2'),
      'http://cam/x.cgi?user=***&password=***&size=2',
    );
    assert.equal(maskCredentials('GET /snap?pwd=1234&token=abc'), 'GET /snap?pwd=***&token=***');
    const secrets = sourceSecrets({ kind: 'rtsp', url: `rtsp://admin:${ENCODED}@cam/x?passwd=other-secret` });
    const masked = maskCredentials(`auth as admin with s3cr@t failed; ${ENCODED}; s3cr%40t; other-secret`, secrets);
    assert.ok(!masked.includes('s3cr') && !masked.includes('other-secret'), masked);
    assert.deepEqual(sourceSecrets({ kind: 'testsrc', width: 1, height: 1, fps: 1 }), []);
  });
});

describe('offline reasons of real cameras', () => {
  let upstream: HttpServer;
  let server: Server;
  let url = '';
  const logs: string[] = [];
  const jpeg = ffmpegJpeg(160, 120);

  before(async () => {
    upstream = createServer((req, res) => {
      if (req.url?.startsWith('/locked')) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="cam"' }).end('no');
        return;
      }
      // Three parts, then the stream ends: what an RTSP or HTTP camera that hangs up looks like.
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=b' });
      for (let i = 0; i < 3; i++)
        res.write(
          Buffer.concat([
            Buffer.from(`--b\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`),
            jpeg,
            Buffer.from('\r\n'),
          ]),
        );
      res.end('--b--\r\n');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as { port: number }).port;
    const closed = await freePort();
    const config = await loadConfig({
      host: '127.0.0.1',
      port: 0,
      cameras: [
        `locked=http://admin:${PASSWORD}@127.0.0.1:${port}/locked/x.mjpg?user=admin&password=${PASSWORD}`,
        `refused=rtsp://admin:${ENCODED}@127.0.0.1:${closed}/stream1`,
        `ended=http://127.0.0.1:${port}/short/x.mjpg`,
      ],
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    server = await buildServer(config, pino({ level: 'debug' }, sink));
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`;
  });

  after(async () => {
    await server.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  async function offlineReason(camera: string): Promise<string> {
    return waitFor(
      async () => {
        const info = (await (await fetch(`${url}/api/cameras/${camera}`)).json()) as {
          state: string;
          offlineReason: string | null;
        };
        return (info.state === 'offline' && info.offlineReason) || undefined;
      },
      15_000,
      `${camera} offline`,
    );
  }

  function assertClean(text: string): void {
    for (const secret of [PASSWORD, 's3cr']) assert.ok(!text.includes(secret), `"${secret}" leaked in: ${text}`);
  }

  it('masks the password of a URL and of its query, in the API, the status message and the log', async () => {
    const viewer = await V1Client.open(wsUrl(url, 'locked'));
    try {
      const reason = await offlineReason('locked');
      assert.match(reason, /^authentication failed \(ffmpeg exited with code 1\): /);
      assert.match(
        reason,
        /http:\/\/\*\*\*@127\.0\.0\.1:\d+\/locked\/x\.mjpg\?user=\*\*\*&password=\*\*\*: Server returned 401/,
      );
      assertClean(reason);
      const status = await viewer.waitText('status', 5000, (m) => m.online === false);
      assert.equal(typeof status.reason, 'string');
      assertClean(JSON.stringify(status));
      assertClean(JSON.stringify((await (await fetch(`${url}/api/cameras`)).json()) as unknown));
    } finally {
      viewer.close();
    }
  });

  it('masks a percent-encoded password and says "connection refused"', async () => {
    const viewer = await V1Client.open(wsUrl(url, 'refused'));
    try {
      const reason = await offlineReason('refused');
      assert.match(reason, /^connection refused \(ffmpeg exited with code 1\)/);
      assertClean(reason);
    } finally {
      viewer.close();
    }
  });

  it('says "stream ended" when the camera hangs up', async () => {
    const viewer = await V1Client.open(wsUrl(url, 'ended'));
    try {
      // An MJPEG camera is read by camrelay itself: its hang-up is the connection's end, not ffmpeg's exit.
      assert.match(await offlineReason('ended'), /^stream ended \(the camera closed the connection\)/);
    } finally {
      viewer.close();
    }
  });

  it('never logs a credential', async () => {
    await waitFor(
      () => logs.some((l) => l.includes('"camera":"refused"') && l.includes('camera offline')),
      5000,
      'the offline log',
    );
    for (const line of logs) assertClean(line);
  });
});
