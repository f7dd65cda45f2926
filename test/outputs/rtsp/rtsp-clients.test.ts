/**
 * The RTSP server read by clients nobody here wrote: ffmpeg over TCP and UDP, GStreamer's rtspsrc over
 * both, mpv; each decodes the stream with no error at the camera's rate. Passthrough is byte-exact (the
 * NAL units a client gets are the hub's, the camera's own); a JPEG camera is served as H.264 from the
 * encoder camrelay runs for H.264 viewers, only while someone reads it; RTSP clients are viewers in the
 * camera's statistics and /metrics (protocol `rtsp`). One camera, one server for the file.
 *
 * VLC is not among the clients: Debian's VLC 3.0 is built without live555 (`--disable-live555`), and its
 * only RTSP client left is SAT>IP (SETUP without DESCRIBE, MPEG-TS payloads), which reads no H.264 RTSP
 * camera at all, this server's or any other.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { splitAvc } from '../../../src/codec/annexb.js';
import { h264Depacketize, readRtpHeader } from '../../../src/codec/rtp/index.js';
import type { AccessUnit } from '../../../src/media/index.js';
import {
  cameraFrames,
  requireInCi,
  rtspCameraMissing,
  skipOutsideCi,
  startRtspCamera,
  startServer,
  waitFor,
  type RtspCamera,
  type TestServer,
} from '../../support/index.js';
import { RtspTestClient } from '../../support/rtsp-client.js';
import { ffmpegRtsp, ffmpegRtspAudio, gstreamerRtsp, mpvRtsp } from '../../support/rtsp-players.js';

const missing = rtspCameraMissing('h264', 'aac') ?? rtspCameraMissing('h265', 'pcma');
const skip = skipOutsideCi(missing);
const FPS = 15;

describe('RTSP clients', { skip }, () => {
  let cam: RtspCamera;
  let hevc: RtspCamera;
  let ts: TestServer;
  let port: number;
  const url = (path: string): string => `rtsp://127.0.0.1:${port}/${path}`;

  before(async () => {
    requireInCi(missing);
    cam = await startRtspCamera({ width: 320, height: 240, fps: FPS, keyint: FPS, audio: 'aac' });
    hevc = await startRtspCamera({ width: 320, height: 240, fps: 10, keyint: 10, codec: 'h265', audio: 'pcma' });
    const dir = mkdtempSync(join(tmpdir(), 'rtsp-clients-'));
    const file = join(dir, 'camrelay.yaml');
    writeFileSync(
      file,
      [
        'rtsp: { port: 0, host: 127.0.0.1 }',
        'cameras:',
        `  - { id: door, source: "${cam.url}" }`,
        `  - { id: hevc, source: "${hevc.url}" }`,
        '  - { id: pattern, source: "testsrc?size=320x240&fps=10", idle_grace: 1 }',
      ].join('\n'),
    );
    ts = await startServer([], file);
    port = ts.server.rtsp!.port;
  });

  after(async () => {
    await ts?.close();
    await cam?.stop();
    await hevc?.stop();
  });

  it('ffmpeg over TCP and UDP, GStreamer over TCP and UDP: every picture decodes, at the camera’s rate', async () => {
    // A first reader wakes the camera; the measured ones then read a warm camera side by side.
    const first = await ffmpegRtsp(url('door'), 'tcp', 1);
    assert.equal(first.errors, '');
    const madeBefore = cameraFrames(ts, 'door');
    const [tcp, udp, gstTcp, gstUdp] = await Promise.all([
      ffmpegRtsp(url('door'), 'tcp', 2),
      ffmpegRtsp(url('door'), 'udp', 2),
      gstreamerRtsp(url('door'), 'tcp', 25),
      gstreamerRtsp(url('door'), 'udp', 25),
    ]);
    const made = cameraFrames(ts, 'door') - madeBefore;
    for (const [name, result] of [
      ['tcp', tcp],
      ['udp', udp],
    ] as const) {
      assert.equal(result.errors, '', `ffmpeg ${name}: no error`);
      assert.equal(result.code, 0);
      // 2 s of the camera (the catch-up GOP may add some), whatever the machine's load did to the camera.
      assert.ok(
        result.frames >= Math.min(2 * FPS, made) * 0.8,
        `ffmpeg ${name}: ${result.frames} pictures, camera made ${made}`,
      );
    }
    for (const [name, result] of [
      ['tcp', gstTcp],
      ['udp', gstUdp],
    ] as const) {
      assert.deepEqual(result.errors, [], `GStreamer ${name}: no error`);
      assert.equal(result.frames >= 25, true, `GStreamer ${name}: ${result.frames} pictures`);
      assert.equal(result.code, 0);
    }
  });

  it('H.265 (RFC 7798): ffmpeg over TCP decodes it, GStreamer over UDP parses it', async () => {
    const [ffmpeg, gst] = await Promise.all([
      ffmpegRtsp(url('hevc'), 'tcp', 2),
      gstreamerRtsp(url('hevc'), 'udp', 15, 'h265'),
    ]);
    assert.equal(ffmpeg.errors, '');
    assert.ok(ffmpeg.frames >= 10, `${ffmpeg.frames} pictures`);
    assert.deepEqual(gst.errors, []);
    assert.ok(gst.frames >= 15);
  });

  it('audio: the camera’s AAC and G.711 A-law in the SDP, decoded by ffmpeg over TCP and UDP', async () => {
    const client = await RtspTestClient.open(port);
    try {
      const aac = await client.request('DESCRIBE', url('door'));
      assert.match(
        aac.body,
        /m=audio 0 RTP\/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC\/16000\/1\r\na=fmtp:97 .*mode=AAC-hbr;.*config=[0-9a-f]+\r\na=control:trackID=1/,
      );
      const pcma = await client.request('DESCRIBE', url('hevc'));
      assert.match(pcma.body, /m=audio 0 RTP\/AVP 8\r\na=rtpmap:8 PCMA\/8000\r\na=control:trackID=1/);
    } finally {
      client.close();
    }
    const [aacTcp, aacUdp, alaw] = await Promise.all([
      ffmpegRtspAudio(url('door'), 'tcp', 2),
      ffmpegRtspAudio(url('door'), 'udp', 2),
      ffmpegRtspAudio(url('hevc'), 'tcp', 2),
    ]);
    for (const [name, result] of Object.entries({ aacTcp, aacUdp, alaw })) {
      assert.equal(result.errors, '', name);
      // 2 s of audio: AAC at 16 kHz is 15.6 frames a second, A-law packets 50 a second (the first may come late).
      assert.ok(result.frames >= 15, `${name}: ${result.frames} audio frames`);
    }
  });

  it('mpv plays it and exits cleanly', async () => {
    const result = await mpvRtsp(url('door'), 1);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.doesNotMatch(result.stdout + result.stderr, /error|fail/i);
  });

  it('passthrough is byte-exact: each access unit a client gets is one of the hub’s, NAL unit for NAL unit', async () => {
    const camera = ts.server.registry.get('door')!;
    const hub = new Map<string, AccessUnit>();
    const unsubscribe = camera.subscribe({ onUnit: (unit) => void hub.set(key(splitAvc(unit.data)), unit) }, 'h264');
    const client = await RtspTestClient.open(port);
    try {
      await client.play(url('door'));
      await waitFor(() => client.frames.filter((f) => f.channel === 0).length > 120, 20_000, 'RTP packets');
    } finally {
      client.close();
      unsubscribe();
    }
    // Access units back from the packets: a marker ends each.
    const units: Uint8Array[][] = [];
    let payloads: Uint8Array[] = [];
    let timestamp: number | undefined;
    for (const frame of client.frames.filter((f) => f.channel === 0)) {
      const header = readRtpHeader(frame.data)!;
      assert.equal(header.payloadType, 96);
      if (timestamp !== undefined && payloads.length > 0)
        assert.equal(header.timestamp, timestamp, 'one RTP time per access unit');
      timestamp = header.timestamp;
      payloads.push(frame.data.subarray(12));
      if (header.marker) {
        units.push(h264Depacketize(payloads));
        payloads = [];
        timestamp = undefined;
      }
    }
    // The first ones are the catch-up GOP, from before the test's consumer: compare from its first unit on.
    const matched = units.filter((nalus) => hub.has(key(nalus)));
    assert.ok(matched.length >= 15, `${matched.length} of ${units.length} access units matched`);
    const firstMatched = units.findIndex((nalus) => hub.has(key(nalus)));
    const later = units.slice(firstMatched);
    assert.equal(matched.length, later.length, 'every access unit after the first match is one of the hub’s');
    assert.equal(
      units[0]!.some((n) => (n[0]! & 0x1f) === 5),
      true,
      'the client starts at a keyframe',
    );
  });

  it('a JPEG camera is served as H.264 from the encoder, which runs only while someone reads it', async () => {
    const camera = ts.server.registry.get('pattern')!;
    const encoder = (): boolean => camera.trackInfo().some((t) => t.codec === 'h264' && t.running);
    assert.equal(encoder(), false);
    const client = await RtspTestClient.open(port);
    try {
      await client.play(url('pattern'));
      await waitFor(() => client.frames.length > 50, 20_000, 'RTP packets of the encoded stream');
      assert.equal(encoder(), true, 'the H.264 encoder runs for the RTSP client');
      const stats = camera.viewers().find((v) => v.protocol === 'rtsp');
      assert.ok(stats && stats.framesSent > 0 && stats.codec === 'h264' && stats.path === 'tcp', JSON.stringify(stats));
      const api = (await (await fetch(`${ts.url}/api/cameras/pattern`)).json()) as { viewers: { protocol: string }[] };
      assert.deepEqual(
        api.viewers.map((v) => v.protocol),
        ['rtsp'],
      );
    } finally {
      client.close();
    }
    await waitFor(() => !encoder(), 20_000, 'the encoder to stop once the client left');
    const metrics = await (await fetch(`${ts.url}/metrics`)).text();
    assert.match(metrics, /camrelay_viewer[a-z_]*\{camera="pattern",protocol="rtsp"\} [1-9]/);
  });
});

function key(nalus: readonly Uint8Array[]): string {
  return nalus.map((n) => Buffer.from(n).toString('base64')).join('|');
}
