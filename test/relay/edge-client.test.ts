// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * The edge against a stand-in hub (a plain ws / https server in this
 * process): certificate verification and --ca, why a connection failed,
 * reconnect backoff, and the uplink's flow control (window, latest wins,
 * start/stop).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino, type Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { loadConfig } from '../../src/config/load.js';
import type { CameraRegistry } from '../../src/hub/registry.js';
import { EdgePublisher, nominalFps } from '../../src/relay/index.js';
import { parseEdgeMessage, type EdgeMessage } from '../../src/relay/messages.js';
import { decodeRelayFrame, type RelayFrame } from '../../src/relay/frames.js';
import { createRegistry } from '../../src/server/cameras.js';
import { CamrelayProcess, freePort, portOf, quietLogger, sleep, waitFor, type LogLine } from '../support/index.js';
import { TOKEN_A } from './helpers.js';

/** A hub stand-in: records upgrades and messages, answers the way a test sets it to. */
class StandInHub {
  readonly upgrades: { url: string; authorization: string | undefined }[] = [];
  readonly texts: EdgeMessage[] = [];
  readonly frames: (RelayFrame & { at: number })[] = [];
  /** Called with each frame as it arrives (to ack it at once). */
  onFrame: ((frame: RelayFrame) => void) | undefined;
  socket: WebSocket | undefined;
  /** 'accept', or an HTTP status to refuse the upgrade with. */
  answer: 'accept' | number = 'accept';
  helloProtocol = 1;
  private readonly wss = new WebSocketServer({ noServer: true });
  port = 0;

  constructor(readonly server: Server) {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrades.push({ url: req.url ?? '', authorization: req.headers.authorization });
      if (this.answer !== 'accept') {
        const body = JSON.stringify({
          statusCode: this.answer,
          error: 'Unauthorized',
          message: 'invalid publish token',
        });
        socket.end(
          `HTTP/1.1 ${this.answer} Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
        );
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.socket = ws;
        ws.on('message', (data, isBinary) => {
          const buf = data as Buffer;
          if (isBinary) {
            const f = decodeRelayFrame(buf);
            if (f.ok) {
              this.frames.push({ ...f.message, at: Date.now() });
              this.onFrame?.(f.message);
            }
            return;
          }
          const parsed = parseEdgeMessage(buf.toString());
          if (!parsed.ok) return;
          this.texts.push(parsed.message);
          if (parsed.message.type === 'hello')
            ws.send(JSON.stringify({ type: 'hello', protocol: this.helloProtocol, role: 'hub' }));
        });
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this;
  }

  send(message: unknown): void {
    this.socket?.send(JSON.stringify(message));
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A logger whose JSON lines the test can read. */
function capturingLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { log, lines };
}

async function edgeFor(
  hub: string,
  log: Logger,
  options: { backoffInitialMs?: number; backoffMaxMs?: number } = {},
): Promise<{ edge: EdgePublisher; registry: CameraRegistry }> {
  const config = await loadConfig({
    cameras: ['cam=testsrc?size=320x240&fps=30'],
    publishTo: hub,
    name: 'e1',
    token: TOKEN_A,
  });
  const registry = createRegistry(config.cameras, quietLogger());
  const edge = new EdgePublisher(registry, config.publish!, log, { fps: nominalFps(config.cameras), ...options });
  edge.start();
  return { edge, registry };
}

describe('edge: TLS to the hub', () => {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-tls-'));
  let hub: StandInHub;
  const procs: CamrelayProcess[] = [];

  before(async () => {
    // A self-signed certificate for 127.0.0.1: trusted by nobody until --ca names it.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=camrelay test hub',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    hub = await new StandInHub(
      createHttpsServer({ cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) }),
    ).listen();
  });
  after(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await hub?.close();
  });

  const publish = (extra: string[]): CamrelayProcess => {
    const p = CamrelayProcess.spawn([
      'publish',
      '--hub',
      `wss://127.0.0.1:${hub.port}`,
      '--name',
      'e1',
      '--token',
      TOKEN_A,
      '--camera',
      'cam=testsrc?size=160x120&fps=30',
      ...extra,
    ]);
    procs.push(p);
    return p;
  };

  it('refuses a hub whose certificate it cannot verify, and says it is TLS', async () => {
    const edge = publish([]);
    const failure = await edge.waitLog((l) => l.msg === 'cannot publish to hub (tls)', 10_000, 'a TLS failure');
    assert.match(String(failure.reason), /self[- ]signed/i);
    assert.match(String(failure.hint), /--ca/);
    assert.equal(hub.upgrades.length, 0, 'no request (and no token) reached the hub');
    await edge.stop();
  });

  it('accepts it with --ca, and sends the token as a bearer header, then hello and announce', async () => {
    const edge = publish(['--ca', join(dir, 'cert.pem')]);
    await edge.waitLog((l) => l.msg === 'connected to hub; cameras announced', 10_000, 'the connection');
    // The edge logs once it has sent them; this process reads them from its socket in its own time.
    await waitFor(() => hub.texts.length >= 2, 10_000, 'hello and announce at the hub');
    assert.equal(hub.upgrades.at(-1)!.authorization, `Bearer ${TOKEN_A}`);
    assert.equal(hub.upgrades.at(-1)!.url, '/api/publish?edge=e1');
    assert.deepEqual(hub.texts[0], {
      type: 'hello',
      protocol: 1,
      role: 'edge',
      edge: 'e1',
      codecs: ['h264', 'jpeg'],
      audio: ['aac', 'pcma', 'pcmu', 'opus'],
      events: ['pre-roll', 'snapshot'],
    });
    assert.deepEqual(hub.texts[1], {
      type: 'announce',
      cameras: [{ id: 'cam', name: 'cam', width: 160, height: 120, fps: 30, channel: 1 }],
    });
    assert.ok(
      !JSON.stringify(edge.logs).includes(TOKEN_A) && !edge.stderr.includes(TOKEN_A),
      'the token is not logged',
    );
    await edge.stop();
  });

  it('publishes to a real hub serving TLS (server.tls) with the same certificate', async () => {
    const config = join(dir, 'hub.yaml');
    writeFileSync(config, `server:\n  tls:\n    cert: ${join(dir, 'cert.pem')}\n    key: ${join(dir, 'key.pem')}\n`);
    const hubProc = CamrelayProcess.spawn(['serve', '--port', '0', '--config', config, '--publisher', `e1=${TOKEN_A}`]);
    procs.push(hubProc);
    const port = portOf(await hubProc.waitListening());
    assert.match(hubProc.stderr, /open https:/);
    const edge = CamrelayProcess.spawn([
      'publish',
      '--hub',
      `wss://127.0.0.1:${port}`,
      '--name',
      'e1',
      '--token',
      TOKEN_A,
      '--camera',
      'cam=testsrc?size=160x120&fps=30',
      '--ca',
      join(dir, 'cert.pem'),
    ]);
    procs.push(edge);
    await edge.waitLog((l) => l.msg === 'connected to hub; cameras announced', 10_000, 'the connection');
    await hubProc.waitLog(
      (l) => l.msg === 'edge announced its cameras' && l.edge === 'e1',
      5000,
      'the announce at the hub',
    );
    await edge.stop();
    await hubProc.stop();
  });
});

describe('edge: why a connection failed, and backoff', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  async function failureOf(hubUrl: string): Promise<LogLine> {
    const { log, lines } = capturingLogger();
    const { edge, registry } = await edgeFor(hubUrl, log);
    try {
      return await waitFor(() => lines.find((l) => l.msg?.startsWith('cannot publish to hub')), 10_000, 'a failure');
    } finally {
      await edge.close();
      await registry.close();
    }
  }

  it('classifies DNS, refused and auth failures, with a hint', async () => {
    const dns = await failureOf('ws://camrelay-test.invalid:8443');
    assert.equal(dns.class, 'dns');
    assert.match(String(dns.hint), /camrelay-test\.invalid/);

    const refused = await failureOf(`ws://127.0.0.1:${await freePort()}`);
    assert.equal(refused.class, 'refused');
    assert.match(String(refused.reason), /ECONNREFUSED/);

    const hub = await new StandInHub(createHttpServer()).listen();
    cleanups.push(() => hub.close());
    hub.answer = 401;
    const auth = await failureOf(`ws://127.0.0.1:${hub.port}`);
    assert.equal(auth.class, 'auth');
    assert.equal(auth.reason, 'HTTP 401: invalid publish token');
    assert.match(String(auth.hint), /--token/);
  });

  it('says when the hub speaks another protocol version', async () => {
    const hub = await new StandInHub(createHttpServer()).listen();
    cleanups.push(() => hub.close());
    hub.helloProtocol = 2;
    const failure = await failureOf(`ws://127.0.0.1:${hub.port}`);
    assert.equal(failure.class, 'protocol');
    assert.match(String(failure.reason), /hub speaks publisher protocol 2, this edge 1/);
  });

  it('retries with doubling delays up to the maximum, and starts over after a session that worked', async () => {
    const hub = await new StandInHub(createHttpServer()).listen();
    cleanups.push(() => hub.close());
    hub.answer = 403;
    const { log, lines } = capturingLogger();
    const { edge, registry } = await edgeFor(`ws://127.0.0.1:${hub.port}`, log, {
      backoffInitialMs: 50,
      backoffMaxMs: 400,
    });
    cleanups.push(async () => {
      await edge.close();
      await registry.close();
    });
    const delays = (): unknown[] => lines.filter((l) => typeof l.retryInMs === 'number').map((l) => l.retryInMs);
    await waitFor(() => delays().length >= 6, 5000, 'six attempts');
    assert.deepEqual(delays().slice(0, 6), [50, 100, 200, 400, 400, 400]);

    hub.answer = 'accept';
    await waitFor(() => edge.state === 'connected', 3000, 'a session');
    const before = delays().length;
    hub.socket!.close(1001, 'hub restarting');
    await waitFor(() => delays().length > before, 3000, 'the next retry');
    assert.equal(delays()[before], 50, 'backoff reset after a successful session');
  });
});

describe('edge: uplink flow control', () => {
  let hub: StandInHub;
  let edge: EdgePublisher;
  let registry: CameraRegistry;

  before(async () => {
    hub = await new StandInHub(createHttpServer()).listen();
    ({ edge, registry } = await edgeFor(`ws://127.0.0.1:${hub.port}`, quietLogger()));
    await waitFor(() => hub.texts.some((m) => m.type === 'announce'), 5000, 'the announce');
  });
  after(async () => {
    await edge?.close();
    await registry?.close();
    await hub?.close();
  });

  it('sends nothing before start, then at most the window (2) of unacked frames', async () => {
    await sleep(500);
    assert.equal(hub.frames.length, 0, 'nothing before start');
    hub.send({ type: 'start', camera: 'cam' });
    await waitFor(() => hub.frames.length >= 2, 5000, 'two frames');
    await sleep(1000); // 30 more frames captured meanwhile
    assert.equal(hub.frames.length, 2, 'no third frame without an ack');
    assert.equal(hub.frames[0]!.channel, 1);
  });

  it('after an ack, sends the newest frame, not the next one (latest wins)', async () => {
    const second = hub.frames[1]!;
    hub.send({ type: 'ack', camera: 'cam', seq: hub.frames[0]!.seq });
    await waitFor(() => hub.frames.length >= 3, 3000, 'a third frame');
    await sleep(300);
    assert.equal(hub.frames.length, 3, 'one freed slot, one frame');
    const third = hub.frames[2]!;
    assert.ok(third.seq - second.seq >= 20, `skipped to the newest: seq ${second.seq} then ${third.seq}`);
    assert.ok(Date.now() - third.at < 1000);
  });

  it('runs at the camera rate when acked promptly, and stops on stop', async () => {
    // Each frame acked as it arrives (the frame before the first is acked too, freeing the window).
    hub.onFrame = (frame) => hub.send({ type: 'ack', camera: 'cam', seq: frame.seq });
    const last = hub.frames.at(-1);
    if (last) hub.send({ type: 'ack', camera: 'cam', seq: last.seq });
    try {
      // Against the camera's own frame counter (the seqs), not the clock. Acked at once, the edge sends
      // nearly every frame; the edge and this stand-in share one process, so a busy machine that holds
      // it back makes a few frames arrive together and the newest win: two thirds at least, where an
      // edge waiting on anything but acks would send far fewer.
      const n = hub.frames.length;
      await waitFor(() => hub.frames.length >= n + 50, 10_000, '50 frames');
      const window = hub.frames.slice(n, n + 50);
      const made = window.at(-1)!.seq - window[0]!.seq + 1;
      assert.equal(new Set(window.map((f) => f.seq)).size, window.length, 'no frame sent twice');
      assert.ok(window.length >= made * (2 / 3), `${window.length} of the camera's ${made} frames`);
      hub.send({ type: 'stop', camera: 'cam' });
      await sleep(300);
      const after = hub.frames.length;
      await sleep(1000);
      assert.equal(hub.frames.length, after, 'nothing after stop');
    } finally {
      hub.onFrame = undefined;
    }
  });
});
