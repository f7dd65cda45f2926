/** The publisher protocol's pure parts: frame header, message parsing, URLs, failure classes, config. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, parseConfigText } from '../../src/config/load.js';
import { decodeHeader } from '../../src/wire/header.js';
import { SERVED_CAMERA_ID } from '../../src/camera-id.js';
import { publishUrl } from '../../src/relay/edge-publisher.js';
import { classifyError, classifyStatus } from '../../src/relay/failure.js';
import { checkAudioUnit, relayAudioConfig, sameAudioConfig } from '../../src/relay/audio-input.js';
import { buildOpusHead } from '../../src/codec/opus/opus-head.js';
import { RELAY_CODEC_SNAPSHOT, RELAY_CODEC_AUDIO, rateLimitFps, RELAY_HEADER_BYTES } from '../../src/relay/protocol.js';
import { type AudioMessage, parseEdgeMessage, parseHubMessage } from '../../src/relay/messages.js';
import {
  decodeRelayAudioFrame,
  decodeRelayFrame,
  decodeRelaySnapshot,
  encodeRelaySnapshot,
  encodeRelayAudioFrame,
  encodeRelayFrame,
  frameCodec,
} from '../../src/relay/frames.js';
import { relayMaxPayload } from '../../src/relay/index.js';
import { hashToken } from '../../src/security/secrets.js';

describe('publisher frame header', () => {
  const jpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);

  it('is the viewer header with length 20 and a channel, readable by a viewer-protocol decoder', () => {
    const message = encodeRelayFrame(0xdeadbeef, 2 ** 32 + 5, 1767225600123.25, jpeg);
    assert.equal(message.length, 20 + jpeg.length);
    const viewerView = decodeHeader(message); // what a v1 client does: skip by header length
    assert.deepEqual(
      { ...viewerView },
      { version: 1, codec: 1, flags: 1, headerLength: 20, seq: 5, capturedAt: 1767225600123.25 },
    );
    assert.deepEqual(message.subarray(viewerView.headerLength), jpeg);
    const decoded = decodeRelayFrame(message);
    assert.ok(decoded.ok);
    assert.equal(decoded.message.channel, 0xdeadbeef);
    assert.deepEqual(decoded.message.data, jpeg);
  });

  it('carries an H.264 unit’s media times in a 28-byte header an older hub skips', () => {
    const unit = Buffer.from([0, 0, 0, 1, 0x65]);
    const dts = 2 ** 40 + 12345; // the edge's clock in 90 kHz ticks: sent modulo 2^32
    const message = encodeRelayFrame(7, 9, 1000.5, unit, 'h264', true, { dts, compositionOffset: 6000 });
    assert.equal(message[3], 28);
    assert.deepEqual(message.subarray(decodeHeader(message).headerLength), unit, 'what an older hub reads');
    const decoded = decodeRelayFrame(message);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.message.times, { dts: dts % 2 ** 32, compositionOffset: 6000 });
    assert.equal(decoded.message.channel, 7);
    assert.deepEqual(decoded.message.data, unit);
    // An older edge's 20-byte header: no times, as before.
    const old = decodeRelayFrame(encodeRelayFrame(7, 9, 1000.5, unit, 'h264', true));
    assert.ok(old.ok);
    assert.equal(old.message.times, undefined);
  });

  it('refuses a viewer-length header (no channel), another version or codec, or a truncated message', () => {
    const message = encodeRelayFrame(1, 1, 0, jpeg);
    const short = Buffer.from(message);
    short[3] = 16;
    const result = decodeRelayFrame(short);
    assert.ok(!result.ok && /no channel/.test(result.reason));
    const version = Buffer.from(message);
    version[0] = 2;
    assert.equal(decodeRelayFrame(version).ok, false);
    const codec = Buffer.from(message);
    codec[1] = 9;
    assert.equal(decodeRelayFrame(codec).ok, false);
    assert.equal(decodeRelayFrame(message.subarray(0, 10)).ok, false);
    const lying = Buffer.from(message.subarray(0, RELAY_HEADER_BYTES));
    lying[3] = 200;
    assert.equal(decodeRelayFrame(lying).ok, false);
  });
});

describe('publisher messages', () => {
  it('parses what an edge sends, and rejects what it must not', () => {
    assert.deepEqual(parseEdgeMessage('{"type":"hello","protocol":1,"role":"edge","edge":"shed"}'), {
      ok: true,
      message: { type: 'hello', protocol: 1, role: 'edge', edge: 'shed' },
    });
    const announce = parseEdgeMessage(JSON.stringify({ type: 'announce', cameras: [{ id: 'door', channel: 3 }] }));
    assert.deepEqual(announce, {
      ok: true,
      message: { type: 'announce', cameras: [{ id: 'door', name: 'door', width: 0, height: 0, fps: 0, channel: 3 }] },
    });
    const bad: [string, RegExp][] = [
      ['nope', /not JSON/],
      ['[]', /not a JSON object/],
      ['{"type":"hello","protocol":0,"role":"edge","edge":"x"}', /protocol/],
      ['{"type":"hello","protocol":1,"role":"edge","edge":"a.b"}', /edge/],
      ['{"type":"announce","cameras":[{"id":"x","channel":0}]}', /channel/],
      ['{"type":"announce","cameras":[{"id":"x","channel":1},{"id":"x","channel":2}]}', /twice/],
      ['{"type":"announce","cameras":[{"id":"x","channel":1},{"id":"y","channel":1}]}', /channel 1 used twice/],
      ['{"type":"announce","cameras":[{"id":"x.y","channel":1}]}', /id/],
      ['{"type":"withdraw"}', /withdraw/],
    ];
    for (const [text, reason] of bad) {
      const r = parseEdgeMessage(text);
      assert.equal(r.ok, false, text);
      assert.match((r as { reason: string }).reason, reason, text);
    }
    assert.deepEqual(parseEdgeMessage('{"type":"later","x":1}'), {
      ok: true,
      message: { type: 'unknown', name: 'later' },
    });
  });

  it('parses what a hub sends', () => {
    assert.deepEqual(parseHubMessage('{"type":"ack","camera":"door","seq":4294967295}'), {
      ok: true,
      message: { type: 'ack', camera: 'door', seq: 4294967295 },
    });
    assert.deepEqual(parseHubMessage('{"type":"hello","protocol":1,"role":"hub","maxFrameBytes":65536}'), {
      ok: true,
      message: { type: 'hello', protocol: 1, role: 'hub', maxFrameBytes: 65536 },
    });
    assert.equal(parseHubMessage('{"type":"ack","camera":"door","seq":-1}').ok, false);
    assert.equal(parseHubMessage('{"type":"start"}').ok, false);
  });

  it('limits frame rates to twice the announced rate, at least 60/s', () => {
    assert.equal(rateLimitFps(0), 60);
    assert.equal(rateLimitFps(30), 60);
    assert.equal(rateLimitFps(50), 100);
  });
});

describe('relay wiring', () => {
  it('finds the publish endpoint under any hub URL, with the edge name', () => {
    assert.equal(
      publishUrl('wss://hub.example.net:8443', 'shed').href,
      'wss://hub.example.net:8443/api/publish?edge=shed',
    );
    assert.equal(
      publishUrl('wss://example.net/camrelay/', 'shed').href,
      'wss://example.net/camrelay/api/publish?edge=shed',
    );
    assert.equal(publishUrl('ws://10.0.0.1:8080/api/publish', 'shed').href, 'ws://10.0.0.1:8080/api/publish?edge=shed');
  });

  it('classifies failures', () => {
    const err = (code: string, message = code) => Object.assign(new Error(message), { code });
    assert.equal(classifyError(err('EAI_AGAIN'), 'h').class, 'dns');
    assert.equal(classifyError(err('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'h').class, 'tls');
    assert.equal(classifyError(err('ERR_TLS_CERT_ALTNAME_INVALID'), 'h').class, 'tls');
    assert.equal(classifyError(err('ECONNREFUSED'), 'h').class, 'refused');
    assert.equal(classifyError(err('EHOSTUNREACH'), 'h').class, 'unreachable');
    assert.equal(classifyStatus(403, 'no').class, 'auth');
    assert.equal(classifyStatus(502, undefined).class, 'http');
  });

  it('serves <edge>.<camera> ids while config ids still cannot have a dot', () => {
    assert.ok(SERVED_CAMERA_ID.test('shed.door') && SERVED_CAMERA_ID.test('door'));
    assert.ok(!SERVED_CAMERA_ID.test('a.b.c') && !SERVED_CAMERA_ID.test('.door') && !SERVED_CAMERA_ID.test('door.'));
    assert.throws(
      () => parseConfigText('cameras:\n  - id: shed.door\n    source: testsrc\n', 'x.yaml'),
      /cameras\[0\]\.id/,
    );
  });

  it('reads publish and publishers from the config and the command line, never echoing a token', async () => {
    const file = parseConfigText(
      `publish:\n  hub: wss://hub.example.net\n  name: shed\n  token: ${'t'.repeat(20)}\npublishers:\n  - name: shed\n    token_hash: ${hashToken('x'.repeat(20))}\n`,
      'x.yaml',
    );
    assert.equal(file.publish?.name, 'shed');
    assert.throws(
      () => parseConfigText('publishers:\n  - name: a\n    token_hash: abc\n', 'x.yaml'),
      /publishers\[0\]\.token_hash: got "abc", expected a token hash/,
    );
    assert.throws(
      () =>
        parseConfigText(
          `publishers:\n  - name: a\n    token_hash: ${hashToken('x'.repeat(20))}\n  - name: a\n    token_hash: ${hashToken('y'.repeat(20))}\n`,
          'x.yaml',
        ),
      /used only once/,
    );

    const config = await loadConfig({
      publishTo: 'wss://hub:8443',
      name: 'shed',
      token: 'secret-token-0123456789',
      publishers: ['yard=another-token-0123456789'],
    });
    assert.deepEqual({ ...config.publish }, { hub: 'wss://hub:8443', name: 'shed', token: 'secret-token-0123456789' });
    assert.deepEqual(config.publishers, [
      {
        name: 'yard',
        tokenHash: hashToken('another-token-0123456789'),
        maxFrameBytes: 4 * 1024 * 1024,
        maxCameras: 32,
        offlineGraceMs: 60_000,
        maxPicture: { width: 4096, height: 2160 },
      },
    ]);
    assert.equal(relayMaxPayload(config), 4 * 1024 * 1024 + 20);

    await assert.rejects(
      loadConfig({ publishTo: 'wss://hub:8443', name: 'shed' }),
      (e: Error) => e instanceof ConfigError && /needs the token/.test(e.message),
    );
    await assert.rejects(
      loadConfig({ publishTo: 'wss://hub:8443', name: 'shed', token: 'short' }),
      (e: Error) => /publish token: got \(hidden\)/.test(e.message) && !e.message.includes('short'),
    );
    await assert.rejects(
      loadConfig({ publishTo: 'http://hub', name: 'shed', token: 'secret-token-0123456789' }),
      /hub URL/,
    );
    await assert.rejects(loadConfig({ publishers: ['yard'] }), /--publisher: expected EDGE=TOKEN/);
    // Several hubs (a cluster's): tried in turn; a bad one named.
    const several = await loadConfig({
      publishTo: 'wss://hub-a:8443, wss://hub-b:8443',
      name: 'shed',
      token: 'secret-token-0123456789',
    });
    assert.equal(several.publish?.hub, 'wss://hub-a:8443');
    assert.deepEqual(several.publish?.hubs, ['wss://hub-a:8443', 'wss://hub-b:8443']);
    await assert.rejects(
      loadConfig({ publishTo: 'wss://hub-a:8443,http://hub-b', name: 'shed', token: 'secret-token-0123456789' }),
      /publish hub: got "http:\/\/hub-b"/,
    );
    assert.deepEqual(config.cameras, [], 'a hub gets no test pattern of its own');
    // The environment's token alone does not turn publishing on.
    assert.equal((await loadConfig({ envToken: 'secret-token-0123456789' })).publish, undefined);
  });
});

describe('publisher audio', () => {
  /** AAC-LC, 16 kHz, mono. */
  const asc = Buffer.from([0x14, 0x08]).toString('base64');

  it('frames audio with codec 16, its pts modulo 2^32 and its samples; a video decoder refuses it', () => {
    const payload = Buffer.from([1, 2, 3, 4]);
    const message = encodeRelayAudioFrame(7, 1767225600123.5, 2 ** 32 + 90_000, 1024, payload);
    assert.equal(frameCodec(message), RELAY_CODEC_AUDIO);
    assert.equal(message.length, 28 + payload.length);
    const decoded = decodeRelayAudioFrame(message);
    assert.ok(decoded.ok);
    assert.deepEqual(
      { ...decoded.message, data: [...decoded.message.data] },
      { channel: 7, capturedAt: 1767225600123.5, pts: 90_000, samples: 1024, data: [1, 2, 3, 4] },
    );
    assert.equal(decodeRelayFrame(message).ok, false);
    assert.equal(decodeRelayAudioFrame(encodeRelayFrame(7, 1, 0, payload)).ok, false);
    const short = Buffer.from(message.subarray(0, 24));
    short[3] = 24;
    assert.equal(decodeRelayAudioFrame(short).ok, false, 'a header without pts and samples');
  });

  it('negotiates audio codecs in the hellos, skipping unknown names', () => {
    const edge = parseEdgeMessage(
      JSON.stringify({
        type: 'hello',
        protocol: 1,
        role: 'edge',
        edge: 'e',
        codecs: ['h264'],
        audio: ['opus9', 'pcmu'],
      }),
    );
    assert.ok(edge.ok && edge.message.type === 'hello');
    assert.deepEqual(edge.message.audio, ['pcmu']);
    const hub = parseHubMessage(JSON.stringify({ type: 'hello', protocol: 1, role: 'hub', audio: ['aac'] }));
    assert.ok(hub.ok && hub.message.type === 'hello');
    assert.deepEqual(hub.message.audio, ['aac']);
    const old = parseHubMessage(JSON.stringify({ type: 'hello', protocol: 1, role: 'hub' }));
    assert.ok(old.ok && old.message.type === 'hello' && old.message.audio === undefined);
    assert.equal(
      parseEdgeMessage(JSON.stringify({ type: 'hello', protocol: 1, role: 'edge', edge: 'e', audio: 'aac' })).ok,
      false,
    );
  });

  it('checks audio messages and units', () => {
    const parse = (m: object): AudioMessage | string => {
      const p = parseEdgeMessage(JSON.stringify({ type: 'audio', camera: 'cam', ...m }));
      return p.ok ? (p.message as AudioMessage) : p.reason;
    };
    const aac = parse({ codec: 'aac', sampleRate: 16000, channels: 1, description: asc });
    assert.equal(typeof aac, 'object');
    const config = relayAudioConfig(aac as AudioMessage);
    assert.ok(config.ok);
    assert.equal(config.message.config.codecString, 'mp4a.40.2');
    assert.equal(config.message.frameLength, 1024);
    assert.ok(sameAudioConfig(config.message.config, { ...config.message.config }));
    const frame = (samples: number, bytes: number) => ({
      channel: 1,
      capturedAt: 0,
      pts: 0,
      samples,
      data: Buffer.alloc(bytes),
    });
    assert.equal(checkAudioUnit(config.message, frame(1024, 300)), undefined);
    assert.match(checkAudioUnit(config.message, frame(1024, 0)) ?? '', /0 bytes/);
    assert.match(checkAudioUnit(config.message, frame(1024, 800)) ?? '', /768 per channel/);
    assert.match(checkAudioUnit(config.message, frame(2048, 300)) ?? '', /2048 samples/);
    // An AudioSpecificConfig that lies about the rate, garbage, a G.711 with a description, silly numbers.
    const lying = relayAudioConfig(
      parse({ codec: 'aac', sampleRate: 8000, channels: 1, description: asc }) as AudioMessage,
    );
    assert.ok(!lying.ok && /16000 Hz/.test(lying.reason));
    const garbage = relayAudioConfig(
      parse({ codec: 'aac', sampleRate: 16000, channels: 1, description: 'AA==' }) as AudioMessage,
    );
    assert.equal(garbage.ok, false);
    assert.equal(typeof parse({ codec: 'pcma', sampleRate: 8000, channels: 1, description: asc }), 'string');
    assert.equal(typeof parse({ codec: 'pcma', sampleRate: 4000, channels: 1 }), 'string');
    assert.equal(typeof parse({ codec: 'pcmu', sampleRate: 8000, channels: 3 }), 'string');
    assert.equal(typeof parse({ codec: 'opus', sampleRate: 48000, channels: 1 }), 'string');
    const pcma = relayAudioConfig(parse({ codec: 'pcma', sampleRate: 8000, channels: 2 }) as AudioMessage);
    assert.ok(pcma.ok);
    assert.equal(pcma.message.config.codecString, 'alaw');
    assert.equal(checkAudioUnit(pcma.message, frame(160, 320)), undefined);
    assert.match(checkAudioUnit(pcma.message, frame(160, 160)) ?? '', /G.711 unit of 160 bytes/);

    // Opus: at 48 kHz with its OpusHead, whose channels agree; each packet lasts the samples it is said to.
    const head = (channels: number) =>
      Buffer.from(
        buildOpusHead({ channels, preSkip: 0, inputSampleRate: 48000, outputGain: 0, mappingFamily: 0 }),
      ).toString('base64');
    const opus = relayAudioConfig(
      parse({ codec: 'opus', sampleRate: 48000, channels: 2, description: head(2) }) as AudioMessage,
    );
    assert.ok(opus.ok);
    assert.deepEqual([opus.message.config.codecString, opus.message.config.channels], ['opus', 2]);
    const packet = (samples: number, toc: number) => ({
      ...frame(samples, 40),
      data: Buffer.from([toc, ...new Array(39).fill(0)]),
    });
    assert.equal(checkAudioUnit(opus.message, packet(960, 0xfc)), undefined); // CELT FB 20 ms, one frame
    assert.match(checkAudioUnit(opus.message, packet(480, 0xfc)) ?? '', /Opus unit of 480 samples, its packet 960/);
    const lyingOpus = relayAudioConfig(
      parse({ codec: 'opus', sampleRate: 48000, channels: 1, description: head(2) }) as AudioMessage,
    );
    assert.ok(!lyingOpus.ok && /OpusHead 2 ch/.test(lyingOpus.reason));
    assert.equal(typeof parse({ codec: 'opus', sampleRate: 16000, channels: 1, description: head(1) }), 'string');
    assert.equal(
      relayAudioConfig(parse({ codec: 'opus', sampleRate: 48000, channels: 1, description: asc }) as AudioMessage).ok,
      false,
    );
  });
});

describe('publisher protocol: events across the relay', () => {
  it('negotiates event features in the hellos, skipping names it does not know', () => {
    const edge = parseEdgeMessage(
      JSON.stringify({ type: 'hello', protocol: 1, role: 'edge', edge: 'e', events: ['pre-roll', 'x', 'snapshot'] }),
    );
    assert.ok(edge.ok && edge.message.type === 'hello');
    assert.deepEqual(edge.message.events, ['pre-roll', 'snapshot']);
    const old = parseEdgeMessage(JSON.stringify({ type: 'hello', protocol: 1, role: 'edge', edge: 'e' }));
    assert.ok(old.ok && old.message.type === 'hello' && old.message.events === undefined);
    const hub = parseHubMessage(JSON.stringify({ type: 'hello', protocol: 1, role: 'hub', events: ['snapshot'] }));
    assert.ok(hub.ok && hub.message.type === 'hello');
    assert.deepEqual(hub.message.events, ['snapshot']);
    assert.equal(
      parseEdgeMessage(JSON.stringify({ type: 'hello', protocol: 1, role: 'edge', edge: 'e', events: 3 })).ok,
      false,
    );
  });

  it('reads start with and without from, and buffer', () => {
    assert.deepEqual(parseHubMessage('{"type":"start","camera":"c","from":1767225600000}'), {
      ok: true,
      message: { type: 'start', camera: 'c', from: 1767225600000 },
    });
    assert.deepEqual(parseHubMessage('{"type":"start","camera":"c"}'), {
      ok: true,
      message: { type: 'start', camera: 'c' },
    });
    assert.equal(parseHubMessage('{"type":"start","camera":"c","from":-1}').ok, false);
    assert.deepEqual(parseHubMessage('{"type":"buffer","camera":"c","ms":5000}'), {
      ok: true,
      message: { type: 'buffer', camera: 'c', ms: 5000 },
    });
    assert.equal(parseHubMessage('{"type":"buffer","camera":"c","ms":99999999}').ok, false);
  });

  it('flags buffered frames, and carries a snapshot with its event id', () => {
    const unit = Buffer.from([0, 0, 0, 1, 0x65]);
    const buffered = decodeRelayFrame(
      encodeRelayFrame(1, 2, 3, unit, 'h264', true, { dts: 9, compositionOffset: 0 }, true),
    );
    assert.ok(buffered.ok && buffered.message.buffered && buffered.message.keyframe);
    const live = decodeRelayFrame(encodeRelayFrame(1, 2, 3, unit, 'h264', false));
    assert.ok(live.ok && !live.message.buffered && !live.message.keyframe);
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
    const message = encodeRelaySnapshot(7, 1767225600000.5, 1e14 + 3, jpeg);
    assert.equal(frameCodec(message), RELAY_CODEC_SNAPSHOT);
    assert.deepEqual(decodeRelaySnapshot(message), {
      ok: true,
      message: { channel: 7, takenAt: 1767225600000.5, event: 1e14 + 3, jpeg },
    });
    assert.equal(decodeRelayFrame(message).ok, false, 'not a video frame');
    assert.equal(decodeRelaySnapshot(encodeRelaySnapshot(7, 0, 0.5, jpeg)).ok, false, 'a fractional event id');
  });
});
