/**
 * A few thousand random and malformed inputs against camrelay running as its
 * own process: WebSocket messages of every bad kind over reconnecting
 * clients, and raw HTTP requests with broken paths, methods, headers and
 * bodies. Afterwards the process is alive, a new viewer gets the full frame
 * rate, and the resident memory has not grown.
 *
 * Memory is read after a full garbage collection, forced through the
 * inspector (the server runs with --inspect on a random loopback port): V8
 * grows its heap lazily and may not collect the old generation for a long
 * time, so a raw reading after a burst measures garbage waiting to be
 * collected (30% more RSS, gone at the next full collection), not what the
 * server keeps.
 *
 * The inputs come from a seeded generator: FUZZ_SEED=<n> replays a run (the
 * seed is printed as a test diagnostic).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { hashPassword } from '../../src/security/password.js';
import { hashToken, newToken } from '../../src/security/secrets.js';
import { sleep } from '../support/index.js';
import { rssOf, startCli, tempDir, Viewer, writeConfig, type CliServer } from './support.js';

/** Forces a full garbage collection in the server and returns its JS heap in use afterwards, in bytes. */
async function collectGarbage(server: CliServer): Promise<number> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(server.stderr())?.[1];
  if (!url) throw new Error(`no inspector URL in:\n${server.stderr()}`);
  const inspector = new WebSocket(url);
  await new Promise((resolve, reject) => {
    inspector.once('open', resolve);
    inspector.once('error', reject);
  });
  try {
    const call = (id: number, method: string): Promise<unknown> =>
      new Promise((resolve) => {
        const onMessage = (data: Buffer): void => {
          const message = JSON.parse(data.toString()) as { id?: number; result?: unknown };
          if (message.id !== id) return;
          inspector.off('message', onMessage);
          resolve(message.result);
        };
        inspector.on('message', onMessage);
        inspector.send(JSON.stringify({ id, method }));
      });
    await call(1, 'HeapProfiler.collectGarbage');
    const usage = (await call(2, 'Runtime.getHeapUsage')) as { usedSize: number };
    return usage.usedSize;
  } finally {
    inspector.close();
  }
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

const TOKEN = newToken();
const PASSWORD = 'fuzz-test-password';
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

const WS_MESSAGES = 2400;
const HTTP_REQUESTS = 2400;
const WS_CLIENTS = 6;
const HTTP_CLIENTS = 12;
/** Each half of the fuzzing stops here even if it has not sent everything (it must have sent the minimum). */
const PHASE_BUDGET_MS = 20_000;

/** mulberry32: small, seedable, good enough to pick inputs. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const bytes = (n: number): Buffer => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };
  const chars = (
    n: number,
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%/?#[]@!$&'()*+,;= ",
  ): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[int(alphabet.length)];
    return s;
  };
  return { next, int, pick, bytes, chars };
}

type Random = ReturnType<typeof generator>;

/** One WebSocket message: what to send, and whether as binary. */
function wsMessage(r: Random): { data: string | Buffer; binary: boolean } {
  const json = (v: unknown) => ({ data: JSON.stringify(v), binary: false });
  switch (r.int(16)) {
    case 0:
      return { data: r.bytes(1 + r.int(300)), binary: true };
    case 1:
      return { data: r.chars(1 + r.int(200)), binary: false };
    case 2: {
      const full = JSON.stringify({ type: r.pick(['ack', 'ping', 'pause', 'resume']), seq: r.int(1000), t: r.next() });
      return { data: full.slice(0, r.int(full.length)), binary: false };
    }
    case 3:
      return {
        data: r.pick([
          '{"type":"ack","seq":1e999}',
          '{"type":"ping","t":1e999}',
          '{"type":"ack","seq":-0}',
          '{"type":"ack","seq":9007199254740993}',
          '{"type":"ping","t":-1e308}',
          '{"type":"ack","seq":4294967296}',
        ]),
        binary: false,
      };
    case 4:
      return json({
        type: 'ack',
        seq: r.pick([0, 1, 4294967295, 2147483648, r.int(2 ** 32), -1, 1.5, '7', null, [1], { n: 1 }]),
      });
    case 5:
      return { data: 'x'.repeat(5 * 1024 + r.int(200)), binary: r.next() < 0.5 };
    case 6:
      return json({
        type: r.pick(['ping', 'pause', 'resume', 'hello', 'subscribe', '__proto__', 'constructor', '']),
        t: r.pick([1, 'x', null, Number.MAX_VALUE]),
      });
    case 7:
      return {
        data: JSON.stringify({
          __proto__: { type: 'ack' },
          constructor: { prototype: { polluted: true } },
          type: 'ack',
          seq: 0,
        }),
        binary: false,
      };
    case 8:
      // Not valid UTF-8, as a text frame (the server must close with 1007, not crash).
      return { data: Buffer.from([0x7b, 0xc3, 0x28, 0xa0, 0xa1, 0xff, 0xfe, 0x7d]), binary: false };
    case 9:
      return { data: '['.repeat(1000 + r.int(3000)), binary: false };
    case 10:
      return json([r.int(10), 'ack', null]);
    case 11:
      return json({ type: 'ping', t: r.next() * 1e6 });
    case 12:
      return { data: '', binary: r.next() < 0.5 };
    case 13:
      return json({ type: 'ack', seq: r.int(100), extra: r.chars(3000) });
    case 14:
      return { data: `{"type":"${r.chars(50)}"}`, binary: false };
    default:
      return json(null);
  }
}

/** One raw HTTP request (bytes as sent on the wire). */
function httpRequestBytes(r: Random, port: number): Buffer {
  if (r.next() < 0.06) return r.bytes(1 + r.int(600));
  const paths = [
    '/',
    '/api/cameras',
    '/api/cameras/cam',
    '/api/cameras/cam/snapshot.jpg',
    '/api/cameras/cam/stream.mjpeg',
    '/api/cameras/cam/ws',
    '/api/me',
    '/api/tokens',
    '/api/health',
    '/login',
    '/logout',
    '/metrics',
    '/assets/',
    '/player.js',
    '/capture',
    '/capture.js',
    '/video',
    '/?action=snapshot',
    '/?action=stream_0',
    '/api/publish',
    '/api/publishers',
  ];
  let path = r.pick(paths);
  switch (r.int(12)) {
    case 0:
      path += '/..'.repeat(1 + r.int(8)) + '/etc/passwd';
      break;
    case 1:
      path += r.pick(['%00', '%zz', '%', '%c0%ae%c0%ae/', '%2e%2e%2f', '%u002e', '%ff%fe', '..%5c..%5c', '%%32%65']);
      break;
    case 2:
      path += `?token=${r.pick([r.chars(20), newToken(), 'a.b.c', 'eyJhbGciOiJub25lIn0.eyJjYW1zIjpbImNhbSJdfQ.', TOKEN, r.chars(3000), `${TOKEN}&token=${TOKEN}`])}`;
      break;
    case 3:
      path = `/${r.chars(1 + r.int(9000))}`;
      break;
    case 4:
      path += `?${r.chars(1 + r.int(400))}`;
      break;
    case 5:
      path = r.pick([
        '*',
        'http://evil.example/',
        `http://127.0.0.1:${port}/api/cameras`,
        '',
        '//',
        '\\\\',
        'api/cameras',
        '/assets//..//..//package.json',
      ]);
      break;
    case 6:
      path = `/api/cameras/${r.chars(1 + r.int(300), 'abcdefghijklmnopqrstuvwxyzABC._-%0123456789')}/snapshot.jpg`;
      break;
    default:
      break;
  }
  const method =
    r.next() < 0.75
      ? r.pick(['GET', 'GET', 'GET', 'POST', 'HEAD', 'OPTIONS'])
      : r.pick([
          'PUT',
          'DELETE',
          'PATCH',
          'TRACE',
          'CONNECT',
          'PRI',
          'G\u0000T',
          'get',
          r.chars(1 + r.int(40), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
          '',
        ]);
  const version =
    r.next() < 0.9 ? 'HTTP/1.1' : r.pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1 extra', 'HTTPS/1.1', '']);
  const headers: string[] = [];
  if (r.next() < 0.9)
    headers.push(
      `Host: ${r.next() < 0.9 ? `127.0.0.1:${port}` : r.pick(['', 'evil.example', r.chars(300), '[::1', 'a b'])}`,
    );
  if (r.next() < 0.05) headers.push('Host: second.example');
  const header = (): string => {
    switch (r.int(14)) {
      case 0:
        return `Authorization: Bearer ${r.pick([r.chars(40), newToken(), r.chars(5000), 'a.b.c', ''])}`;
      case 1:
        return `Authorization: Basic ${Buffer.from(`${r.chars(8)}:${r.chars(12)}`).toString('base64')}`;
      case 2:
        return `Authorization: ${r.pick(['Basic', 'Basic !!!', 'Digest x', 'Bearer', 'NTLM TlRMTVNTUAAB', `Basic ${r.bytes(40).toString('base64')}`])}`;
      case 3:
        return `Cookie: camrelay_session=${r.pick([r.chars(43), '', r.chars(4000), '%00', 'a;b=c'])}`;
      case 4:
        return `Origin: ${r.pick(['http://evil.example', 'null', `http://127.0.0.1:${port}`, r.chars(100)])}`;
      case 5:
        return `Content-Length: ${r.pick(['0', '-1', '99999999999999999999', 'abc', '10, 20', String(r.int(100))])}`;
      case 6:
        return `Transfer-Encoding: ${r.pick(['chunked', 'gzip, chunked', 'identity', 'chunked, chunked', 'x'])}`;
      case 7:
        return `X-Long: ${'a'.repeat(r.pick([100, 8000, 20_000]))}`;
      case 8:
        return `X-Bad: ${r
          .bytes(20)
          .toString('latin1')
          .replace(/[\r\n]/g, '')}`;
      case 9:
        return `${r.chars(1 + r.int(30), 'abcdefghijklmnopqrstuvwxyz-()<>@,;:\\"/[]?={} \t')}: x`;
      case 10:
        return ' folded continuation line';
      case 11:
        return `Connection: ${r.pick(['Upgrade', 'close', 'keep-alive', 'Upgrade, HTTP2-Settings'])}\r\nUpgrade: ${r.pick(['websocket', 'h2c', 'WebSocket', r.chars(10)])}\r\nSec-WebSocket-Version: ${r.pick(['13', '8', 'x'])}\r\nSec-WebSocket-Key: ${r.pick([r.bytes(16).toString('base64'), 'short', ''])}`;
      case 12:
        return `Content-Type: ${r.pick(['application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', r.chars(30)])}`;
      default:
        return `Accept-Encoding: ${r.pick(['gzip', 'br', 'deflate, gzip;q=0', r.chars(20)])}`;
    }
  };
  const count = r.int(6);
  for (let i = 0; i < count; i++) headers.push(header());
  let body = '';
  if (method === 'POST' || r.next() < 0.1) {
    body = r.pick([
      JSON.stringify({ username: r.chars(8), password: r.chars(12) }),
      JSON.stringify({
        cameras: [r.pick(['cam', 'CAM', '../x', r.chars(70)])],
        expires_in: r.pick([60, -1, 1e20, 'x']),
      }),
      `username=${r.chars(10)}&password=${r.chars(10)}&next=${r.pick(['//evil.example', '/', 'javascript:x'])}`,
      '{"a":',
      r.bytes(r.int(500)).toString('latin1'),
      '5\r\nhello\r\nZ\r\n',
    ]);
    if (r.next() < 0.7) headers.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
  }
  return Buffer.from(
    `${method} ${path} ${version}\r\n${headers.join('\r\n')}${headers.length ? '\r\n' : ''}\r\n${body}`,
    'latin1',
  );
}

/** Sends one raw request and closes after the first answer bytes, the server's close, or 400 ms. */
function fire(port: number, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, 400);
    socket.once('data', done);
    socket.once('close', done);
    socket.on('error', done);
    socket.write(data);
  });
}

/** One fuzzing WebSocket client: connects, sends until the server closes it or its share is sent, and again. */
async function wsClient(
  r: Random,
  base: string,
  quota: number,
  deadline: number,
): Promise<{ sent: number; connections: number; closes: Map<number, number> }> {
  let sent = 0;
  let connections = 0;
  const closes = new Map<number, number>();
  while (sent < quota && Date.now() < deadline) {
    const path =
      r.next() < 0.85
        ? `/api/cameras/cam/ws?token=${TOKEN}${r.pick(['', '&window=1', '&window=8', '&ack=0'])}`
        : `/video?token=${TOKEN}`;
    const ws = new WebSocket(`${base}${path}`, { perMessageDeflate: false });
    ws.on('error', () => {});
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    const opened = await new Promise<boolean>((resolve) => {
      ws.once('open', () => resolve(true));
      ws.once('unexpected-response', () => resolve(false));
      ws.once('error', () => resolve(false));
    });
    connections++;
    if (!opened) {
      ws.terminate();
      await sleep(20);
      continue;
    }
    const burst = r.next() < 0.15 ? 150 + r.int(100) : 1 + r.int(40);
    for (let i = 0; i < burst && sent < quota && ws.readyState === WebSocket.OPEN; i++) {
      const m = burst > 100 ? { data: JSON.stringify({ type: 'ping', t: i }), binary: false } : wsMessage(r);
      ws.send(m.data, { binary: m.binary });
      sent++;
      if (burst <= 100 && r.next() < 0.3) await sleep(r.int(5));
    }
    const ending = r.int(4);
    if (ending === 0) ws.terminate();
    else if (ending === 1) ws.close(r.pick([1000, 1001, 3000, 4999]));
    else if (ending === 2) await Promise.race([closed, sleep(300)]).then(() => ws.terminate());
    else ws.close();
    const code = await Promise.race([closed, sleep(2000).then(() => -1)]);
    closes.set(code, (closes.get(code) ?? 0) + 1);
  }
  return { sent, connections, closes };
}

describe('fuzz: random and malformed input against a running camrelay', () => {
  let server: CliServer;
  let witness: Viewer;
  let rssBefore: number;
  let heapBefore: number;

  before(async () => {
    const dir = tempDir('fuzz');
    const config = writeConfig(dir, 'config.yaml', {
      auth: {
        users: [{ name: 'alice', role: 'admin', password_hash: await hashPassword(PASSWORD) }],
        tokens: [{ name: 'viewer', role: 'viewer', token_hash: hashToken(TOKEN) }],
      },
      cameras: [{ id: 'cam', source: 'testsrc?size=320x240&fps=30' }],
    });
    server = await startCli(['--config', config, '--port', '0', '--log-level', 'warn'], {
      nodeArgs: ['--inspect=127.0.0.1:0'],
    });
    witness = await Viewer.open(`ws://127.0.0.1:${server.port}/api/cameras/cam/ws?token=${TOKEN}`);
    // The baseline once the camera has run a while (about 1.5 s of frames) and the server is warm.
    await witness.waitFrames(45);
    heapBefore = await collectGarbage(server);
    rssBefore = rssOf(server.pid);
  });
  after(async () => {
    witness?.close();
    if (!server) return;
    await server.stop();
  });

  it('survives thousands of bad WebSocket messages and HTTP requests, still serving at full rate', async (t) => {
    t.diagnostic(`FUZZ_SEED=${SEED}`);
    const r = generator(SEED);
    const base = `ws://127.0.0.1:${server.port}`;

    const wsStarted = Date.now();
    const clients = await Promise.all(
      Array.from({ length: WS_CLIENTS }, (_, i) =>
        wsClient(generator(SEED + i + 1), base, Math.ceil(WS_MESSAGES / WS_CLIENTS), wsStarted + PHASE_BUDGET_MS),
      ),
    );
    const wsSent = clients.reduce((n, c) => n + c.sent, 0);
    const closes = new Map<number, number>();
    for (const c of clients) for (const [code, n] of c.closes) closes.set(code, (closes.get(code) ?? 0) + n);
    t.diagnostic(
      `WebSocket: ${wsSent} messages over ${clients.reduce((n, c) => n + c.connections, 0)} connections in ${Date.now() - wsStarted} ms; close codes ${JSON.stringify([...closes])}`,
    );
    assert.ok(wsSent >= 2000, `${wsSent} WebSocket messages sent`);
    assert.ok(!closes.has(1011), 'no internal error closed a socket');
    assert.equal(server.child.exitCode, null, 'alive after the WebSocket half');

    const httpStarted = Date.now();
    let httpSent = 0;
    await Promise.all(
      Array.from({ length: HTTP_CLIENTS }, async () => {
        while (httpSent < HTTP_REQUESTS && Date.now() - httpStarted < PHASE_BUDGET_MS) {
          httpSent++;
          await fire(server.port, httpRequestBytes(r, server.port));
        }
      }),
    );
    t.diagnostic(`HTTP: ${httpSent} raw requests in ${Date.now() - httpStarted} ms`);
    assert.ok(httpSent >= 2000, `${httpSent} HTTP requests sent`);
    assert.equal(server.child.exitCode, null, 'alive after the HTTP half');

    // The witness connected throughout is still served, and so is a new viewer at the full rate.
    assert.equal(witness.closedWith, undefined, 'the witness viewer was not disconnected');
    await sleep(500);
    const viewer = await Viewer.open(`${base}/api/cameras/cam/ws?token=${TOKEN}`);
    try {
      await viewer.waitFrames(1);
      // Against the camera's own frame counter (the seqs), not the clock: 45 frames, 1.5 s at 30 fps.
      const { received, made } = await viewer.framesMadeWhileReceiving(45);
      assert.ok(received >= made * 0.83, `the new viewer got ${received} of the camera's ${made} frames`);
      assert.equal(viewer.bad, 0);
    } finally {
      viewer.close();
    }
    assert.equal(server.child.exitCode, null, 'still alive');

    const heapAfter = await collectGarbage(server);
    const rssAfter = rssOf(server.pid);
    t.diagnostic(
      `after a full GC: RSS ${mib(rssBefore)} before, ${mib(rssAfter)} after; JS heap in use ${mib(heapBefore)} before, ${mib(heapAfter)} after`,
    );
    assert.ok(rssAfter <= rssBefore * 1.2, `RSS grew from ${mib(rssBefore)} to ${mib(rssAfter)}`);
    // What the server keeps: a few thousand inputs retained at even 1 KiB each would show here.
    assert.ok(heapAfter - heapBefore < 8 * 2 ** 20, `the JS heap kept ${mib(heapAfter - heapBefore)} more`);
    // Nothing the fuzzing did was an error of the server's own.
    const errors = server
      .stdout()
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line));
    assert.deepEqual(errors, [], 'no error or fatal lines in the log');
  });

  it('still ends cleanly on SIGTERM afterwards, whatever sockets the fuzzing left open', async () => {
    // Some of them Node no longer tracks (an upgrade answered over HTTP); stop() kills after 5 s.
    assert.equal(await server.stop(), 0, 'exit code after SIGTERM');
  });
});
