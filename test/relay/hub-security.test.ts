/**
 * The hub's publisher endpoint against edges that are wrong or misbehave:
 * refused or closed, each time with a witness (a real edge with a viewer on
 * its camera) that must keep working. Also the protocol's start/stop/ack
 * flow, replacement, withdraw, and the viewer endpoints' own 4 KiB limit
 * now that the server-wide ws limit is sized for frames.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { loadConfig } from '../../src/config/load.js';
import { hashToken } from '../../src/security/secrets.js';
import { EdgePublisher, nominalFps } from '../../src/relay/index.js';
import { createRegistry } from '../../src/server/cameras.js';
import type { CameraRegistry } from '../../src/hub/registry.js';
import { ffmpegJpeg, quietLogger, sleep, startServer, waitFor, type TestServer } from '../support/index.js';
import { V1Client, wsUrl } from '../support/v1-client.js';
import { getJson, publisher, RawEdge, TOKEN_A, TOKEN_B } from './helpers.js';

const TOKEN_C = 'edge-c-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'camrelay-relay-sec-'));
const cfg = join(dir, 'hub.yaml');
writeFileSync(
  cfg,
  `camera_defaults:
  idle_grace: 0.5
publishers:
  - name: a
    token_hash: ${hashToken(TOKEN_A)}
  - name: b
    token_hash: ${hashToken(TOKEN_B)}
    max_frame_size: 65536
  - name: c
    token_hash: ${hashToken(TOKEN_C)}
`,
);
const jpeg = ffmpegJpeg(320, 240);

async function cameraIds(url: string): Promise<string[]> {
  return (await getJson<{ cameras: { id: string }[] }>(`${url}/api/cameras`)).cameras.map((c) => c.id);
}

async function refused(
  url: string,
  token: string | undefined,
  edge?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const err = await RawEdge.open(url, token, edge).then(
    (raw) => {
      raw.close();
      throw new Error('the upgrade was accepted');
    },
    (e: Error & { status?: number; body?: string }) => e,
  );
  return { status: err.status ?? 0, body: JSON.parse(err.body ?? '{}') as Record<string, unknown> };
}

/** A publisher that has said hello and announced `cameras` (channel i+1 each). */
async function ready(url: string, token: string, edge: string, cameras: string[], fps = 30): Promise<RawEdge> {
  const raw = await RawEdge.open(url, token, edge);
  raw.hello(edge);
  await raw.waitMessage((m) => m.type === 'hello', 3000, 'the hub hello');
  raw.announce(cameras.map((id, i) => ({ id, name: id, width: 320, height: 240, fps, channel: i + 1 })));
  await waitFor(async () => (await cameraIds(url)).includes(`${edge}.${cameras[0]}`), 3000, 'the announce');
  return raw;
}

describe('hub: publisher security, limits and protocol', () => {
  let t: TestServer;
  let edgeRegistry: CameraRegistry;
  let edge: EdgePublisher;
  let witness: V1Client;

  /** The real edge's camera keeps flowing to its viewer. */
  async function witnessStillServed(): Promise<void> {
    const n = witness.frames.length;
    await waitFor(() => witness.frames.length >= n + 5, 3000, 'the witness to keep receiving frames');
    const a = await publisher(t.url, 'a');
    assert.equal(a.connected, true, 'edge a still connected');
    assert.equal(a.connections, 1, 'and never replaced');
  }

  before(async () => {
    t = await startServer(['local=testsrc?size=320x240&fps=15'], cfg);
    const port = new URL(t.url).port;
    const config = await loadConfig({
      cameras: ['cam=testsrc?size=320x240&fps=30'],
      publishTo: `ws://127.0.0.1:${port}`,
      name: 'a',
      token: TOKEN_A,
    });
    edgeRegistry = createRegistry(config.cameras, quietLogger());
    edge = new EdgePublisher(edgeRegistry, config.publish!, quietLogger(), { fps: nominalFps(config.cameras) });
    edge.start();
    witness = await V1Client.openWhenReady(wsUrl(t.url, 'a.cam'), 10_000);
    await waitFor(() => witness.frames.length >= 5, 5000, 'the witness to receive frames');
  });
  after(async () => {
    witness?.close();
    await edge?.close();
    await edgeRegistry?.close();
    await t?.close();
  });

  it('refuses a missing or wrong token with 401, and a token for another edge with 403, before the upgrade', async () => {
    const none = await refused(t.url, undefined, 'a');
    assert.equal(none.status, 401);
    assert.match(String(none.body.message), /publish token is required/);
    const wrong = await refused(t.url, 'not-the-token-0123456789', 'a');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.message, 'invalid publish token');
    const otherName = await refused(t.url, TOKEN_B, 'a');
    assert.equal(otherName.status, 403);
    assert.match(String(otherName.body.message), /may not publish as edge "a"/);
    const badName = await refused(t.url, TOKEN_B, 'A.b');
    assert.equal(badName.status, 400);
    await witnessStillServed();
  });

  it("closes an edge that says hello under another edge's name (1008), leaving that edge alone", async () => {
    const raw = await RawEdge.open(t.url, TOKEN_B); // no ?edge=: the name comes from the hello
    raw.hello('a');
    const closed = await raw.waitClosed(3000);
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /publishes as "b", not "a"/);
    await witnessStillServed();
  });

  it('closes an edge of another protocol version after telling it its own (1008)', async () => {
    const raw = await RawEdge.open(t.url, TOKEN_B, 'b');
    raw.hello('b', 2);
    const hello = await raw.waitMessage((m) => m.type === 'hello', 3000, 'the hub hello');
    assert.equal(hello.type === 'hello' && hello.protocol, 1);
    const closed = await raw.waitClosed(3000);
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /protocol 2 is not supported; this hub speaks 1/);
  });

  for (const [what, act] of [
    ['a frame before hello', (raw: RawEdge) => raw.frame(1, 1, jpeg)],
    ['text that is not JSON', (raw: RawEdge) => raw.ws.send('hello?')],
    ['an announce before hello', (raw: RawEdge) => raw.announce([{ id: 'x', channel: 1 }])],
  ] as const) {
    it(`closes on ${what} (1008)`, async () => {
      const raw = await RawEdge.open(t.url, TOKEN_B, 'b');
      act(raw);
      assert.equal((await raw.waitClosed(3000)).code, 1008);
      await witnessStillServed();
    });
  }

  it('closes on a bad announce or a frame on a channel never announced (1008)', async () => {
    const raw = await RawEdge.open(t.url, TOKEN_B, 'b');
    raw.hello('b');
    raw.announce([{ id: 'Bad.Id', channel: 1 }]);
    assert.match((await raw.waitClosed(3000)).reason, /cameras\[0\]\.id/);
    const raw2 = await ready(t.url, TOKEN_B, 'b', ['x']);
    raw2.frame(7, 1, jpeg);
    const closed = await raw2.waitClosed(3000);
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /channel 7, never announced/);
    await witnessStillServed();
  });

  it("runs start → frames + acks → stop, driven by the hub's viewers", async () => {
    const raw = await ready(t.url, TOKEN_B, 'b', ['x']);
    const viewer = await V1Client.open(wsUrl(t.url, 'b.x'));
    await raw.waitMessage((m) => m.type === 'start' && m.camera === 'x', 3000, 'start');
    for (let seq = 1; seq <= 5; seq++) {
      raw.frame(1, seq, jpeg);
      await raw.waitMessage((m) => m.type === 'ack' && m.camera === 'x' && m.seq === seq, 3000, `ack ${seq}`);
    }
    await waitFor(() => viewer.frames.length >= 5, 3000, 'the frames at the viewer');
    assert.equal(viewer.frames.at(-1)!.bytes, jpeg.length, 'the JPEG passes through untouched');
    viewer.close();
    const leftAt = Date.now();
    await raw.waitMessage((m) => m.type === 'stop' && m.camera === 'x', 5000, 'stop after the idle grace');
    assert.ok(Date.now() - leftAt >= 400, 'not before the grace (0.5 s)');
    raw.close();
  });

  it('closes a publisher whose frame is over its size limit (1009), or over the server-wide one', async () => {
    const raw = await ready(t.url, TOKEN_B, 'b', ['x']);
    raw.frame(1, 1, Buffer.concat([jpeg, Buffer.alloc(70_000)]));
    const closed = await raw.waitClosed(3000);
    assert.equal(closed.code, 1009);
    assert.match(closed.reason, /over the limit of 65536/);
    await witnessStillServed();

    const rawC = await ready(t.url, TOKEN_C, 'c', ['big']);
    rawC.frame(1, 1, Buffer.concat([jpeg, Buffer.alloc(4 * 1024 * 1024)]));
    assert.equal((await rawC.waitClosed(5000)).code, 1009);
    await witnessStillServed();
  });

  it('closes a publisher over its frame-rate limit (1008)', async () => {
    const raw = await ready(t.url, TOKEN_B, 'b', ['x'], 10); // limit: max(60, 2 × 10) = 60/s
    for (let seq = 1; seq <= 200; seq++) raw.frame(1, seq, jpeg);
    const closed = await raw.waitClosed(3000);
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /more than 60 frames\/s on x/);
    await witnessStillServed();
  });

  it("replaces an edge's connection with its newer one (1008 'replaced'), the cameras following it", async () => {
    const first = await ready(t.url, TOKEN_B, 'b', ['x']);
    const second = await ready(t.url, TOKEN_B, 'b', ['x']);
    const closed = await first.waitClosed(3000);
    assert.deepEqual(closed, { code: 1008, reason: 'replaced' });
    const viewer = await V1Client.open(wsUrl(t.url, 'b.x'));
    await second.waitMessage((m) => m.type === 'start' && m.camera === 'x', 3000, 'start on the new connection');
    second.frame(1, 1, jpeg);
    await waitFor(() => viewer.frames.length > 0, 3000, 'a frame through the new connection');
    viewer.close();
    second.close();
    await witnessStillServed();
  });

  it('removes a withdrawn camera at once when unwatched, else when its last viewer leaves', async () => {
    const raw = await ready(t.url, TOKEN_B, 'b', ['x', 'y']);
    raw.send({ type: 'withdraw', camera: 'y' });
    await waitFor(async () => !(await cameraIds(t.url)).includes('b.y'), 2000, 'b.y to be removed');

    const viewer = await V1Client.open(wsUrl(t.url, 'b.x'));
    await raw.waitMessage((m) => m.type === 'start' && m.camera === 'x', 3000, 'start');
    raw.frame(1, 1, jpeg);
    await waitFor(() => viewer.frames.length > 0, 3000, 'a frame');
    raw.send({ type: 'withdraw', camera: 'x' });
    await viewer.waitText('status', 3000, (m) => m.online === false && /withdrawn by the edge/.test(String(m.reason)));
    assert.ok((await cameraIds(t.url)).includes('b.x'), 'kept while watched');
    viewer.close();
    await waitFor(async () => !(await cameraIds(t.url)).includes('b.x'), 5000, 'b.x to be removed once unwatched');
    raw.close();
    await witnessStillServed();
  });

  it('still closes viewer messages over 4 KiB with 1009 (ws and the seed /video), though frames may be 4 MiB', async () => {
    const viewer = await V1Client.open(wsUrl(t.url, 'local'));
    viewer.ws.send(JSON.stringify({ type: 'ping', t: 1, pad: 'x'.repeat(5000) }));
    await waitFor(() => viewer.closedWith, 3000, 'the viewer to be closed');
    assert.equal(viewer.closedWith!.code, 1009);

    const seed = new WebSocket(`${t.url.replace('http', 'ws')}/video`);
    const code = await new Promise<number>((resolve, reject) => {
      seed.once('open', () => seed.send('x'.repeat(5000)));
      seed.once('close', (c) => resolve(c));
      seed.once('error', reject);
    });
    assert.equal(code, 1009);
    await witnessStillServed();
  });

  it('serves a published camera on the other outputs too: details, snapshot, MJPEG', async () => {
    const details = await getJson<{ id: string; kind: string; online: boolean; viewers: { protocol: string }[] }>(
      `${t.url}/api/cameras/a.cam`,
    );
    assert.equal(details.kind, 'relay');
    assert.equal(details.online, true);
    assert.deepEqual(
      details.viewers.map((v) => v.protocol),
      ['ws-v1'],
    );
    const snap = await fetch(`${t.url}/api/cameras/a.cam/snapshot.jpg`);
    assert.equal(snap.status, 200);
    assert.equal(snap.headers.get('content-type'), 'image/jpeg');
    assert.equal(Buffer.from(await snap.arrayBuffer())[0], 0xff);
    const controller = new AbortController();
    const mjpeg = await fetch(`${t.url}/api/cameras/a.cam/stream.mjpeg`, { signal: controller.signal });
    assert.equal(mjpeg.status, 200);
    assert.match(mjpeg.headers.get('content-type') ?? '', /multipart\/x-mixed-replace/);
    const reader = mjpeg.body!.getReader();
    let bytes = 0;
    while (bytes < 20_000) bytes += (await reader.read()).value?.length ?? 0;
    controller.abort();
    assert.equal((await fetch(`${t.url}/api/cameras/a.nope`)).status, 404);
    assert.equal((await fetch(`${t.url}/api/cameras/a.b.c`)).status, 400);
  });

  it('lists publishers with their connection and counters', async () => {
    await sleep(100);
    const a = await publisher(t.url, 'a');
    assert.ok(a.session && a.session.framesReceived > 0 && a.bytesReceived >= a.session.bytesReceived);
    assert.deepEqual(
      a.cameras.map((c) => c.id),
      ['a.cam'],
    );
    const c = await publisher(t.url, 'c');
    assert.equal(c.connected, false);
  });
});
