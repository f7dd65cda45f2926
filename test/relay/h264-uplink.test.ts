/**
 * An edge (serve --publish-to) and a hub as two processes, the uplink in H.264: the edge encodes
 * its JPEG camera once and only while the hub wants it; H.264 viewers of the hub get units that
 * ffmpeg decodes without an error; JPEG consumers on the hub (snapshot, MJPEG) are served by one
 * decoder on the hub; the API and /metrics say which codec the uplink carries and at what bitrate;
 * an edge forced to JPEG (--publish-codec jpeg) still publishes JPEG to the same hub.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertNoBrokenPicture, checkConfig, decodeWithFfmpeg } from '../outputs/ws/h264-viewer.js';
import { CamrelayProcess, decodeJpeg, freePort, sleep, waitFor } from '../support/index.js';
import { V1Client, wsUrl } from '../support/v1-client.js';
import { getJson, publisher, TOKEN_A, TOKEN_B } from './helpers.js';

interface TrackInfo {
  codec: string;
  origin: string;
  running: boolean;
  codecString: string | null;
  bitrate: number;
}

describe('relay: an H.264 uplink between two processes', () => {
  let hub: CamrelayProcess;
  const edges: CamrelayProcess[] = [];
  let hubUrl: string;
  const viewers: V1Client[] = [];

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-h264-uplink-'));
    const hubConfig = join(dir, 'hub.yaml');
    writeFileSync(hubConfig, 'camera_defaults:\n  idle_grace: 1\n');
    const port = await freePort();
    hubUrl = `http://127.0.0.1:${port}`;
    hub = CamrelayProcess.spawn([
      'serve',
      '--port',
      String(port),
      '--config',
      hubConfig,
      '--publisher',
      `e1=${TOKEN_A}`,
      '--publisher',
      `e2=${TOKEN_B}`,
    ]);
    await hub.waitListening();
    const edge = (name: string, token: string, extra: string[]): CamrelayProcess =>
      CamrelayProcess.spawn([
        'serve',
        '--port',
        '0',
        '--camera',
        'cam=testsrc?size=320x240&fps=15',
        '--publish-to',
        `ws://127.0.0.1:${port}`,
        '--name',
        name,
        '--token',
        token,
        ...extra,
      ]);
    edges.push(edge('e1', TOKEN_A, []), edge('e2', TOKEN_B, ['--publish-codec', 'jpeg']));
    await waitFor(
      async () =>
        (await publisher(hubUrl, 'e1')).cameras.length === 1 && (await publisher(hubUrl, 'e2')).cameras.length === 1,
      15_000,
      'both edges to announce',
    );
  });
  after(async () => {
    for (const v of viewers) v.close();
    await Promise.all([...edges.map((e) => e.stop()), hub?.stop()]);
  });

  it('negotiates H.264 with the new edge and JPEG with the forced one; nothing flows unwatched', async () => {
    const [e1, e2] = [await publisher(hubUrl, 'e1'), await publisher(hubUrl, 'e2')];
    assert.deepEqual(e1.codecs, ['h264', 'jpeg']);
    assert.deepEqual(e2.codecs, ['jpeg']);
    await sleep(1500);
    assert.equal((await publisher(hubUrl, 'e1')).session!.framesReceived, 0, 'no frame while nobody watches');
    // The edge's own line, waited for: the hub's API answering says nothing of what the edge's log pipe delivered.
    await edges[0]!.waitLog(
      (l) => l.msg === 'connected to hub; cameras announced' && l.codec === 'h264',
      10_000,
      'the edge to say it sends H.264',
    );
  });

  it('gives an H.264 viewer of the hub units that ffmpeg decodes without an error', async () => {
    const v = await V1Client.open(wsUrl(hubUrl, 'e1.cam', '?codec=h264'), { autoAck: true });
    viewers.push(v);
    await v.waitFrames(45, 30_000);
    const cfg = checkConfig(v.texts.find((m) => m.type === 'config')!);
    assert.equal(cfg.width, 320);
    assertNoBrokenPicture(v.frames);
    assert.ok(decodeWithFfmpeg(cfg, v.frames) >= 45);
    // Stamped with the edge's capture time mapped to the hub's clock: never after the arrival.
    for (const f of v.frames) assert.ok(f.capturedAt <= f.at + 1, 'a capture time from the future');
    // With its media times, from the edge's clock: decode times that only go forward.
    for (const f of v.frames) assert.equal(f.headerLength, 24);
    const dts = v.frames.map((f) => f.dts!);
    for (let i = 1; i < dts.length; i++)
      assert.ok(((dts[i]! - dts[i - 1]!) | 0) > 0, `dts ${dts[i - 1]} then ${dts[i]}`);
    const p = await publisher(hubUrl, 'e1');
    assert.equal(p.cameras[0]!.codec, 'h264');
    assert.ok(p.cameras[0]!.bitrate > 0);
    assert.equal(typeof p.clockOffsetMs, 'number', 'the edge answered the pings');
    const { tracks } = await getJson<{ tracks: TrackInfo[] }>(`${hubUrl}/api/cameras/e1.cam`);
    const h264 = tracks.find((t) => t.codec === 'h264')!;
    assert.equal(h264.origin, 'native', 'the hub passes the edge’s H.264 through');
    assert.match(h264.codecString ?? '', /^avc1\./);
    assert.ok(h264.bitrate > 0);
    assert.equal(tracks.find((t) => t.codec === 'jpeg')!.running, false, 'no decoder without a JPEG consumer');
  });

  it('serves a snapshot and MJPEG of the H.264-relayed camera, decoded on the hub', async () => {
    const snap = await fetch(`${hubUrl}/api/cameras/e1.cam/snapshot.jpg`);
    assert.equal(snap.status, 200);
    assert.equal(decodeJpeg(Buffer.from(await snap.arrayBuffer())).width, 320);
    const ac = new AbortController();
    const res = await fetch(`${hubUrl}/api/cameras/e1.cam/stream.mjpeg`, { signal: ac.signal });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let bytes = Buffer.alloc(0);
    while (bytes.indexOf(Buffer.from([0xff, 0xd9])) < 0) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes = Buffer.concat([bytes, Buffer.from(value)]);
    }
    ac.abort();
    const start = bytes.indexOf(Buffer.from([0xff, 0xd8]));
    assert.ok(start >= 0, 'a JPEG in the MJPEG stream');
    assert.equal(decodeJpeg(bytes.subarray(start, bytes.indexOf(Buffer.from([0xff, 0xd9])) + 2)).width, 320);
    const { tracks } = await getJson<{ tracks: TrackInfo[] }>(`${hubUrl}/api/cameras/e1.cam`);
    assert.equal(tracks.find((t) => t.codec === 'jpeg')!.origin, 'derived');
  });

  it('publishes JPEG from the forced edge, and says so in the API and /metrics (promtool-clean)', async () => {
    const v = await V1Client.open(wsUrl(hubUrl, 'e2.cam'));
    viewers.push(v);
    await v.waitFrames(5, 15_000);
    assert.ok(v.frames.every((f) => f.codec === 1));
    const p = await publisher(hubUrl, 'e2');
    assert.equal(p.cameras[0]!.codec, 'jpeg');
    const metrics = await (await fetch(`${hubUrl}/metrics`)).text();
    assert.match(metrics, /camrelay_relay_uplink_bytes_total\{edge="e1",camera="e1\.cam",codec="h264"\} [1-9]/);
    assert.match(metrics, /camrelay_relay_uplink_bytes_total\{edge="e2",camera="e2\.cam",codec="jpeg"\} [1-9]/);
    assert.match(metrics, /camrelay_relay_clock_offset_seconds\{publisher="e1"\}/);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    assert.equal(check.error, undefined, 'promtool runs (scripts/ensure-test-deps.sh installs it)');
    assert.equal(`${check.stdout}${check.stderr}`, '', 'promtool reports no problem');
  });
});
