// test lane: waiting (two RTSP cameras at 320x240 and real time: little CPU)
/**
 * A camera's audio across the relay: an edge whose RTSP camera sends H.264 + AAC (or Opus) publishes it to a hub,
 * which lists the relayed camera's audio track and gives its consumers units with increasing pts on the
 * video's timeline; audio goes only when both hellos say so (an older hub, a stand-in that answers without
 * `audio`, gets none, and a hub older than Opus none of it; an edge that offered none may not send any), and a lying audio config or unit closes
 * the edge (1008).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import type { AudioUnit } from '../../src/media/index.js';
import { AudioUplink } from '../../src/relay/audio-uplink.js';
import { RELAY_CODEC_AUDIO } from '../../src/relay/protocol.js';
import { parseEdgeMessage, type EdgeMessage, type HubMessage } from '../../src/relay/messages.js';
import { encodeRelayAudioFrame } from '../../src/relay/frames.js';
import { hashToken } from '../../src/security/secrets.js';
import {
  quietLogger,
  requireInCi,
  rtspCameraMissing,
  skipOutsideCi,
  startRtspCamera,
  startServer,
  waitFor,
  type RtspCamera,
  type TestServer,
} from '../support/index.js';
import { V1Client, wsUrl } from '../support/v1-client.js';
import { getJson, publisher, RawEdge, startEdge, TOKEN_A, TOKEN_B } from './helpers.js';

const missing = rtspCameraMissing('h264', 'aac') ?? rtspCameraMissing('h264', 'opus');
const CAM = { id: 'cam', name: 'cam', width: 320, height: 240, fps: 15, channel: 1 };
/** AudioSpecificConfig of AAC-LC, 16 kHz, mono. */
const ASC_16K_MONO = Buffer.from([0x14, 0x08]).toString('base64');

describe('relay: audio on the uplink', { skip: skipOutsideCi(missing) }, () => {
  let cam: RtspCamera;
  let opusCam: RtspCamera;
  let t: TestServer;

  before(async () => {
    requireInCi(missing);
    cam = await startRtspCamera({ width: 320, height: 240, fps: 15, keyint: 15, audio: 'aac' });
    opusCam = await startRtspCamera({ width: 320, height: 240, fps: 15, keyint: 15, audio: 'opus' });
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-audio-uplink-'));
    const hubCfg = join(dir, 'hub.yaml');
    writeFileSync(
      hubCfg,
      [
        'camera_defaults:',
        '  idle_grace: 1',
        'publishers:',
        '  - name: a',
        `    token_hash: ${hashToken(TOKEN_A)}`,
        '  - name: b',
        `    token_hash: ${hashToken(TOKEN_B)}`,
        '',
      ].join('\n'),
    );
    t = await startServer([], hubCfg);
  });
  after(async () => {
    await t?.close();
    await cam?.stop();
    await opusCam?.stop();
  });

  it('carries the camera’s AAC: the hub lists the track, its units come with increasing pts beside the video', async () => {
    const { registry, edge } = await startEdge(cam.url, t.url.replace(/^http/, 'ws'), 'a');
    const units: AudioUnit[] = [];
    let v: V1Client | undefined;
    try {
      await waitFor(async () => (await publisher(t.url, 'a')).cameras.length === 1, 10_000, 'the announce');
      assert.deepEqual((await publisher(t.url, 'a')).audio, ['aac', 'pcma', 'pcmu', 'opus'], 'audio negotiated');
      const relayed = t.server.registry.get('a.cam')!;
      const unsubscribe = relayed.subscribeAudio({ onAudio: (u) => units.push(u) });
      v = await V1Client.open(wsUrl(t.url, 'a.cam', '?codec=h264'), { autoAck: true });
      await waitFor(() => units.length >= 30, 15_000, '30 audio units at the hub');
      unsubscribe();
      const config = relayed.audioConfig!;
      assert.equal(config.codec, 'aac');
      assert.equal(config.sampleRate, 16_000);
      assert.equal(config.channels, 1);
      assert.equal(config.codecString, 'mp4a.40.2');
      const info = await getJson<{ audio?: { codec: string; sampleRate: number; channels: number } | null }>(
        `${t.url}/api/cameras/a.cam`,
      );
      assert.deepEqual(
        { codec: info.audio?.codec, sampleRate: info.audio?.sampleRate, channels: info.audio?.channels },
        { codec: 'aac', sampleRate: 16_000, channels: 1 },
      );
      for (let i = 1; i < units.length; i++) {
        assert.ok(units[i]!.pts > units[i - 1]!.pts, `pts ${units[i]!.pts} after ${units[i - 1]!.pts}`);
        assert.equal(units[i]!.samples, 1024);
      }
      // On the video's timeline: the newest audio and video are within a second of each other.
      const video = relayed.lastLive!;
      const audio = units[units.length - 1]!;
      const gap = Math.abs(audio.pts / 16_000 - video.pts / 90_000);
      assert.ok(gap < 1, `audio at ${audio.pts / 16_000} s, video at ${video.pts / 90_000} s`);
    } finally {
      v?.close();
      await edge.close();
      await registry.close();
    }
  });

  it('carries the camera’s Opus with its OpusHead, as the edge has it', async () => {
    const { registry, edge } = await startEdge(opusCam.url, t.url.replace(/^http/, 'ws'), 'a');
    const units: AudioUnit[] = [];
    let v: V1Client | undefined;
    try {
      await waitFor(
        async () => (await publisher(t.url, 'a')).cameras.length === 1 && t.server.registry.get('a.cam') !== undefined,
        10_000,
        'the announce',
      );
      const relayed = t.server.registry.get('a.cam')!;
      const unsubscribe = relayed.subscribeAudio({ onAudio: (u) => units.push(u) });
      v = await V1Client.open(wsUrl(t.url, 'a.cam', '?codec=h264'), { autoAck: true });
      await waitFor(
        () => units.filter((u) => u.config.codec === 'opus').length >= 30,
        15_000,
        '30 Opus units at the hub',
      );
      unsubscribe();
      const opus = units.filter((u) => u.config.codec === 'opus');
      const config = opus[0]!.config;
      const edgeConfig = registry.get('cam')!.audioConfig!;
      assert.deepEqual(
        [config.codecString, config.sampleRate, config.channels],
        [edgeConfig.codecString, 48_000, edgeConfig.channels],
      );
      assert.deepEqual(Buffer.from(config.description!), Buffer.from(edgeConfig.description!), 'the OpusHead');
      for (let i = 1; i < opus.length; i++) {
        assert.ok(opus[i]!.pts > opus[i - 1]!.pts, `pts ${opus[i]!.pts} after ${opus[i - 1]!.pts}`);
        assert.equal(opus[i]!.samples, 960);
      }
    } finally {
      v?.close();
      await edge.close();
      await registry.close();
    }
  });

  it('keeps Opus off the uplink of a hub that did not accept it (one older than Opus)', () => {
    const sent: unknown[] = [];
    const session = {
      open: true,
      bufferedAmount: 0,
      send: (m: unknown) => sent.push(m),
      sendFrame: (f: Buffer) => sent.push(f),
    };
    const uplink = new AudioUplink(session, 'cam', 1, ['aac', 'pcma', 'pcmu'], 1 << 20, quietLogger());
    uplink.videoSent = true;
    const config = { codec: 'opus' as const, sampleRate: 48_000, channels: 1, codecString: 'opus' };
    const unit = { seq: 1, config, pts: 0, samples: 960, wallTime: 0, capturedAt: 0, data: Buffer.from([0xf8, 0]) };
    uplink.onAudio(unit);
    uplink.onAudio({ ...unit, seq: 2, pts: 960 });
    assert.deepEqual(sent, []);
    assert.equal(uplink.dropped, 2);
  });

  it('takes audio only from an edge that offered it, and checks what it says', async () => {
    // An edge that offers no audio (an older one): the hub's hello offers none, and an audio frame closes it.
    const old = await RawEdge.open(t.url, TOKEN_B, 'b');
    old.hello('b', 1, ['h264', 'jpeg']);
    const oldHello = (await old.waitMessage((m) => m.type === 'hello', 3000, 'the hello')) as Extract<
      HubMessage,
      { type: 'hello' }
    >;
    assert.equal(oldHello.audio, undefined);
    old.announce([CAM]);
    await waitFor(async () => (await publisher(t.url, 'b')).cameras.length === 1, 3000, 'the announce');
    old.ws.send(encodeRelayAudioFrame(1, Date.now(), 0, 1024, Buffer.alloc(100)));
    const closedOld = await old.waitClosed(3000);
    assert.equal(closedOld.code, 1008);
    assert.match(closedOld.reason, /audio was not negotiated/);

    // An edge that offers it gets it; an AudioSpecificConfig that says 16 kHz under an "audio" of 48 kHz closes it.
    const liar = await RawEdge.open(t.url, TOKEN_B, 'b');
    liar.send({ type: 'hello', protocol: 1, role: 'edge', edge: 'b', codecs: ['h264', 'jpeg'], audio: ['aac', 'x'] });
    const hello = (await liar.waitMessage((m) => m.type === 'hello', 3000, 'the hello')) as Extract<
      HubMessage,
      { type: 'hello' }
    >;
    assert.deepEqual(hello.audio, ['aac']);
    liar.announce([CAM]);
    liar.send({
      type: 'audio',
      camera: 'cam',
      codec: 'aac',
      sampleRate: 48_000,
      channels: 1,
      description: ASC_16K_MONO,
    });
    const closed = await liar.waitClosed(3000);
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /48000 Hz/);

    // A true config, then a unit of the wrong length.
    const short = await RawEdge.open(t.url, TOKEN_B, 'b');
    short.send({ type: 'hello', protocol: 1, role: 'edge', edge: 'b', codecs: ['h264', 'jpeg'], audio: ['aac'] });
    await short.waitMessage((m) => m.type === 'hello', 3000, 'the hello');
    short.announce([CAM]);
    short.send({
      type: 'audio',
      camera: 'cam',
      codec: 'aac',
      sampleRate: 16_000,
      channels: 1,
      description: ASC_16K_MONO,
    });
    short.ws.send(encodeRelayAudioFrame(1, Date.now(), 0, 960, Buffer.alloc(100)));
    const closedShort = await short.waitClosed(3000);
    assert.equal(closedShort.code, 1008);
    assert.match(closedShort.reason, /960 samples/);
  });

  it('sends no audio to an older hub (a hello without `audio`)', async () => {
    const texts: EdgeMessage[] = [];
    const codecs: number[] = [];
    const server = createServer();
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        const buffer = data as Buffer;
        if (isBinary) {
          codecs.push(buffer[1]!);
          ws.send(JSON.stringify({ type: 'ack', camera: 'cam', seq: buffer.readUInt32BE(4) }));
          return;
        }
        const parsed = parseEdgeMessage(buffer.toString());
        if (!parsed.ok) return;
        texts.push(parsed.message);
        if (parsed.message.type === 'hello')
          ws.send(JSON.stringify({ type: 'hello', protocol: 1, role: 'hub', codecs: ['h264', 'jpeg'] }));
        if (parsed.message.type === 'announce') ws.send(JSON.stringify({ type: 'start', camera: 'cam' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const { registry, edge } = await startEdge(cam.url, `ws://127.0.0.1:${port}`, 'e1');
    const local: AudioUnit[] = [];
    try {
      await waitFor(() => codecs.length >= 20, 15_000, 'video at the stand-in hub');
      // The edge's camera has audio all along: it is the hub's hello that keeps it off the uplink.
      registry.get('cam')!.subscribeAudio({ onAudio: (u) => local.push(u) });
      await waitFor(() => local.length >= 5, 5000, 'audio on the edge');
      const hello = texts[0] as Extract<EdgeMessage, { type: 'hello' }>;
      assert.deepEqual(hello.audio, ['aac', 'pcma', 'pcmu', 'opus'], 'the edge offered audio');
      assert.ok(!codecs.includes(RELAY_CODEC_AUDIO), 'no audio frame');
      assert.ok(!texts.some((m) => m.type === 'audio'), 'no audio message');
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
