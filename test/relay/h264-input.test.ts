// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * The hub's side of H.264 uplinks, driven by hand-made publishers: the codec negotiation in the
 * hellos (an edge that lists no codecs is an older one: JPEG only), valid H.264 from an edge reaching
 * H.264 viewers (decoded by ffmpeg) and JPEG consumers (decoded once on the hub), and every kind of
 * bad input closing that edge with its code and a log line while another edge goes on. Then an edge
 * whose camera makes H.264 itself (the RTSP fixture) publishes that stream as it comes, with no
 * encoder on either side; and a new edge against a stand-in for an older hub (a hello without
 * `codecs` nor `events`) publishes JPEG and sends no snapshot.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { toAvc } from '../../src/codec/h264/nal.js';
import { parseEdgeMessage, type EdgeMessage, type HubMessage } from '../../src/relay/messages.js';
import { decodeRelayFrame, type RelayFrame } from '../../src/relay/frames.js';
import { hashToken } from '../../src/security/secrets.js';
import { encodedTrack } from '../codec/fixtures.js';
import { assertNoBrokenPicture, checkConfig, decodeWithFfmpeg } from '../outputs/ws/h264-viewer.js';
import {
  decodeJpeg,
  ffmpegJpeg,
  requireInCi,
  rtspCameraMissing,
  skipOutsideCi,
  startRtspCamera,
  startServer,
  waitFor,
  type TestServer,
} from '../support/index.js';
import { V1Client, wsUrl } from '../support/v1-client.js';
import { getJson, publisher, RawEdge, startEdge, TOKEN_A, TOKEN_B } from './helpers.js';

const MAX_FRAME = 256 * 1024;
const track = encodedTrack({ width: 320, height: 240, frames: 60, gop: 15, source: 'testsrc' });
const units = track.aus.map((au) => {
  const avc = toAvc(au.nalus.filter((n) => (n[0]! & 0x1f) !== 9));
  return { data: Buffer.from(avc.buffer, avc.byteOffset, avc.byteLength), keyframe: au.keyframe };
});
const config = {
  type: 'config',
  camera: 'cam',
  codec: track.codec,
  width: track.width,
  height: track.height,
  description: Buffer.from(track.avcC).toString('base64'),
};
const CAM = { id: 'cam', name: 'cam', width: 320, height: 240, fps: 15, channel: 1 };

/** A raw edge that said hello (with `codecs` unless `old`) and announced one camera. */
async function connect(t: TestServer, name: 'a' | 'b', old = false): Promise<RawEdge> {
  const raw = await RawEdge.open(t.url, name === 'a' ? TOKEN_A : TOKEN_B, name);
  raw.hello(name, 1, old ? undefined : ['h264', 'jpeg']);
  await raw.waitMessage((m) => m.type === 'hello', 3000, 'the hub hello');
  raw.announce([CAM]);
  await waitFor(async () => (await publisher(t.url, name)).cameras.length === 1, 3000, 'the announce');
  return raw;
}

/** Sends the encoded track's units on channel 1, round and round, every 66 ms while the hub wants the camera. */
function stream(raw: RawEdge, withConfig = true): () => void {
  let seq = 0;
  let configured = false;
  const timer = setInterval(() => {
    if (!raw.received.some((m) => m.type === 'start')) return;
    const unit = units[seq % units.length]!;
    if (!configured && withConfig) {
      raw.send(config);
      configured = true;
    }
    raw.frame(1, ++seq, unit.data, 'h264', unit.keyframe);
  }, 66);
  return () => clearInterval(timer);
}

describe('relay: H.264 from an edge, on the hub', () => {
  let t: TestServer;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-h264-input-'));
    const cfg = join(dir, 'hub.yaml');
    writeFileSync(
      cfg,
      [
        'camera_defaults:',
        '  idle_grace: 1',
        'publishers:',
        '  - name: a',
        `    token_hash: ${hashToken(TOKEN_A)}`,
        `    max_frame_size: ${MAX_FRAME}`,
        '  - name: b',
        `    token_hash: ${hashToken(TOKEN_B)}`,
        '',
      ].join('\n'),
    );
    t = await startServer([], cfg);
  });
  after(() => t.close());

  it('answers an edge that lists no codecs (an older one) with JPEG only, and serves its JPEG', async () => {
    const raw = await connect(t, 'b', true);
    const hello = raw.received.find((m) => m.type === 'hello') as Extract<HubMessage, { type: 'hello' }>;
    assert.deepEqual(hello.codecs, ['jpeg']);
    const jpeg = ffmpegJpeg(320, 240, 'testsrc');
    let seq = 0;
    const timer = setInterval(() => {
      if (raw.received.some((m) => m.type === 'start')) raw.frame(1, ++seq, jpeg);
    }, 100);
    const v = await V1Client.open(wsUrl(t.url, 'b.cam'));
    try {
      await v.waitFrames(3, 10_000);
      assert.ok(v.frames.every((f) => f.codec === 1));
      const p = await publisher(t.url, 'b');
      assert.deepEqual(p.codecs, ['jpeg']);
      assert.equal(p.cameras[0]!.codec, 'jpeg');
      // An H.264 unit from an edge that never offered H.264 is a protocol error.
      raw.frame(1, ++seq, units[0]!.data, 'h264', true);
      assert.equal((await raw.waitClosed(3000)).code, 1008);
    } finally {
      clearInterval(timer);
      v.close();
      raw.close();
    }
  });

  it('passes valid H.264 to H.264 viewers and decodes it once for a snapshot', async () => {
    const raw = await connect(t, 'a');
    const hello = raw.received.find((m) => m.type === 'hello') as Extract<HubMessage, { type: 'hello' }>;
    assert.deepEqual(hello.codecs, ['h264', 'jpeg']);
    const stop = stream(raw);
    const v = await V1Client.open(wsUrl(t.url, 'a.cam', '?codec=h264'), { autoAck: true });
    try {
      await v.waitFrames(20, 20_000);
      const cfg = checkConfig(v.texts.find((m) => m.type === 'config')!);
      assert.equal(cfg.codec.toLowerCase(), track.codec.toLowerCase());
      assertNoBrokenPicture(v.frames);
      assert.ok(decodeWithFfmpeg(cfg, v.frames) >= 20);
      // The hub's stamp is the edge's capture time mapped to its clock: never after the arrival.
      for (const f of v.frames) assert.ok(f.capturedAt <= f.at, 'a capture time from the future');
      const snap = await fetch(`${t.url}/api/cameras/a.cam/snapshot.jpg`);
      assert.equal(snap.status, 200);
      assert.equal(decodeJpeg(Buffer.from(await snap.arrayBuffer())).width, 320);
      const cam = t.server.registry.get('a.cam')!;
      assert.equal(cam.native, 'h264');
      assert.equal(cam.transcoderStarts, 1, 'one decoder, for the JPEG track only');
      const info = await getJson<{ tracks: { codec: string; origin: string; bitrate: number; codecString: string }[] }>(
        `${t.url}/api/cameras/a.cam`,
      );
      const h264 = info.tracks.find((x) => x.codec === 'h264')!;
      assert.equal(h264.origin, 'native');
      assert.ok(h264.bitrate > 0);
      const p = await publisher(t.url, 'a');
      assert.equal(p.cameras[0]!.codec, 'h264');
      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      assert.match(metrics, /camrelay_relay_uplink_bytes_total\{edge="a",camera="a\.cam",codec="h264"\} [1-9]/);
    } finally {
      stop();
      v.close();
      raw.close();
    }
  });

  const bad: { name: string; code: number; reason: RegExp; send: (raw: RawEdge) => void }[] = [
    {
      name: 'a config whose avcC does not parse',
      code: 1008,
      reason: /avcC/,
      send: (raw) =>
        raw.send({ ...config, description: Buffer.from([1, 66, 0, 30, 0xff, 0xe1, 0, 40, 1]).toString('base64') }),
    },
    {
      name: 'a config whose size is not its SPS’s',
      code: 1008,
      reason: /SPS 320x240/,
      send: (raw) => raw.send({ ...config, width: 640 }),
    },
    {
      name: 'a unit before its config',
      code: 1008,
      reason: /before its config/,
      send: (raw) => raw.frame(1, 1, units[0]!.data, 'h264', true),
    },
    {
      name: 'a unit over the size limit',
      code: 1009,
      reason: /over the limit/,
      send: (raw) => {
        raw.send(config);
        const big = Buffer.alloc(MAX_FRAME + 1000);
        big.writeUInt32BE(big.length - 4, 0);
        big[4] = 0x65;
        raw.frame(1, 1, big, 'h264', true);
      },
    },
    {
      name: 'NAL lengths that run past the unit',
      code: 1008,
      reason: /runs past the end/,
      send: (raw) => {
        raw.send(config);
        const unit = Buffer.from(units[0]!.data);
        unit.writeUInt32BE(unit.length * 2, 0);
        raw.frame(1, 1, unit, 'h264', true);
      },
    },
    {
      name: 'a keyframe flag on a unit without an IDR slice',
      code: 1008,
      reason: /keyframe flag/,
      send: (raw) => {
        raw.send(config);
        raw.frame(1, 1, units[0]!.data, 'h264', true);
        raw.frame(1, 2, units[1]!.data, 'h264', true);
      },
    },
  ];

  it('closes an edge that sends bad H.264, with its code and a log line; another edge goes on', async () => {
    const good = await connect(t, 'b', true);
    const jpeg = ffmpegJpeg(320, 240, 'testsrc');
    let seq = 0;
    const timer = setInterval(() => {
      if (good.received.some((m) => m.type === 'start')) good.frame(1, ++seq, jpeg);
    }, 100);
    const v = await V1Client.open(wsUrl(t.url, 'b.cam'));
    try {
      for (const c of bad) {
        const raw = await connect(t, 'a');
        c.send(raw);
        const closed = await raw.waitClosed(5000);
        assert.equal(closed.code, c.code, `${c.name}: ${closed.reason}`);
        assert.match(closed.reason, c.reason, c.name);
      }
      const before = v.frames.length;
      await v.waitFrames(before + 3, 10_000);
      assert.equal(good.closedWith, undefined, 'the other edge is still connected');
      assert.equal((await fetch(`${t.url}/api/health`)).status, 200);
    } finally {
      clearInterval(timer);
      v.close();
      good.close();
    }
  });
});

describe('relay: a new edge against an older hub', () => {
  it('publishes JPEG when the hub’s hello lists no codecs', async () => {
    // A stand-in for the part not under test: an older hub answers hello without `codecs`, then starts the camera.
    const texts: EdgeMessage[] = [];
    const frames: RelayFrame[] = [];
    let unreadable = 0;
    const server = createServer();
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        if (isBinary) {
          const f = decodeRelayFrame(data as Buffer);
          if (f.ok) {
            frames.push(f.message);
            ws.send(JSON.stringify({ type: 'ack', camera: 'cam', seq: f.message.seq }));
          } else unreadable++;
          return;
        }
        const parsed = parseEdgeMessage((data as Buffer).toString());
        if (!parsed.ok) return;
        texts.push(parsed.message);
        if (parsed.message.type === 'hello')
          ws.send(JSON.stringify({ type: 'hello', protocol: 1, role: 'hub', maxFrameBytes: 4194304 }));
        if (parsed.message.type === 'announce') ws.send(JSON.stringify({ type: 'start', camera: 'cam' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const { registry, edge } = await startEdge('testsrc?size=320x240&fps=15', `ws://127.0.0.1:${port}`, 'e1', {
      nominalFps: true,
    });
    try {
      await waitFor(() => frames.length >= 5, 15_000, 'frames at the stand-in hub');
      const hello = texts[0] as Extract<EdgeMessage, { type: 'hello' }>;
      assert.deepEqual(hello.codecs, ['h264', 'jpeg'], 'the edge offered H.264');
      assert.ok(frames.every((f) => f.codec === 'jpeg' && f.keyframe));
      assert.ok(!texts.some((m) => m.type === 'config'), 'no config to a hub that cannot read one');
      assert.equal(registry.get('cam')!.transcoderStarts, 0, 'no encoder on the edge');
      // Events' additions are not offered by this hub: an event's snapshot does not go (a frame it cannot read).
      assert.deepEqual(hello.events, ['pre-roll', 'snapshot'], 'the edge offered them');
      assert.equal(edge.snapshot('cam', 1, ffmpegJpeg(320, 240)), false);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(unreadable, 0, 'nothing the older hub cannot read');
    } finally {
      await edge.close();
      await registry.close();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

const rtspMissing = rtspCameraMissing();

describe('relay: an edge whose camera makes H.264', () => {
  it(
    'publishes the camera’s own stream: no encoder on the edge, none on the hub for H.264 viewers',
    {
      skip: skipOutsideCi(rtspMissing),
    },
    async () => {
      requireInCi(rtspMissing);
      const cam = await startRtspCamera({ width: 320, height: 240, fps: 15, keyint: 15 });
      const dir = mkdtempSync(join(tmpdir(), 'camrelay-h264-rtsp-'));
      const hubCfg = join(dir, 'hub.yaml');
      writeFileSync(hubCfg, `publishers:\n  - name: a\n    token_hash: ${hashToken(TOKEN_A)}\n`);
      const t = await startServer([], hubCfg);
      const { registry, edge } = await startEdge(cam.url, t.url.replace(/^http/, 'ws'), 'a');
      try {
        await waitFor(async () => (await publisher(t.url, 'a')).cameras.length === 1, 10_000, 'the announce');
        const v = await V1Client.open(wsUrl(t.url, 'a.cam', '?codec=h264'), { autoAck: true });
        try {
          await v.waitFrames(20, 30_000);
          const c = checkConfig(v.texts.find((m) => m.type === 'config')!);
          assertNoBrokenPicture(v.frames);
          decodeWithFfmpeg(c, v.frames);
          const local = registry.get('cam')!;
          assert.equal(local.native, 'h264');
          assert.equal(local.transcoderStarts, 0, 'the camera’s own H.264, not re-encoded on the edge');
          assert.equal(t.server.registry.get('a.cam')!.transcoderStarts, 0, 'nothing decoded on the hub');
        } finally {
          v.close();
        }
      } finally {
        await edge.close();
        await registry.close();
        await t.close();
        await cam.stop();
      }
    },
  );
});
