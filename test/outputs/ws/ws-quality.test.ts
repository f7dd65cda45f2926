/**
 * H.264 qualities on loopback (`?quality=`): a pinned sub-stream made by an encoder of its own (640 px
 * wide, the aspect kept), the low rung (320 px, at most 10 fps), keyframes only, the v1 default (main, no `quality` message), JPEG viewers
 * unchanged, the API's sub track, an internal consumer of the h264 track still on main, and a camera's own
 * `substream:` (two RTSP cameras) read only while someone wants it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AccessUnit } from '../../../src/media/index.js';
import {
  requireInCi,
  rtspCameraMissing,
  skipOutsideCi,
  startRtspCamera,
  startServer,
  waitFor,
  type TestServer,
} from '../../support/index.js';
import { V1Client, wsUrl } from '../../support/v1-client.js';
import { decodeAll, openOrdered, qualities, runsOf, type OrderedViewer } from './quality-stream.js';

interface SubTrack {
  codec: string;
  quality: string;
  origin: string;
  running: boolean;
  encoder: string | null;
  width: number | null;
  height: number | null;
  bitrate: number;
}

async function tracks(url: string, camera: string): Promise<SubTrack[]> {
  const res = await fetch(`${url}/api/cameras/${camera}`);
  return ((await res.json()) as { tracks: SubTrack[] }).tracks;
}

function watch(url: string, query: string): Promise<OrderedViewer> {
  return openOrdered(wsUrl(url, 'cam', query));
}

describe('H.264 qualities', () => {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-quality-'));
  let ts: TestServer;

  before(async () => {
    const config = join(dir, 'camrelay.yaml');
    writeFileSync(
      config,
      'cameras:\n  - { id: cam, source: "testsrc?size=1280x720&fps=15", encoder: libx264, idle_grace: 1 }\n',
    );
    ts = await startServer([], config);
  });
  after(async () => {
    await ts?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pinned sub: 640x360 from its own encoder, beside an unchanged main viewer; the API lists it', async () => {
    const main = await watch(ts.url, '?codec=h264');
    const sub = await watch(ts.url, '?codec=h264&quality=sub');
    // A hub consumer of the h264 track (the recorder's way) still gets main.
    const hubUnits: AccessUnit[] = [];
    const unsubscribe = ts.server.registry.get('cam')!.subscribe({ onUnit: (u) => void hubUnits.push(u) }, 'h264');
    try {
      await waitFor(() => sub.units().length >= 30 && main.units().length >= 30, 30_000, 'units on both');
      const info = (await tracks(ts.url, 'cam')).find((t) => t.quality === 'sub');
      assert.ok(info, 'the API lists the sub track');
      assert.equal(info.codec, 'h264');
      assert.equal(info.running, true);
      assert.equal(info.encoder, 'libx264');
      assert.equal(info.origin, 'derived');
      assert.deepEqual([info.width, info.height], [640, 360]);
      assert.ok(info.bitrate > 0, 'its bitrate');
      const mainInfo = (await tracks(ts.url, 'cam')).find((t) => t.codec === 'h264' && t.quality === 'main');
      assert.deepEqual([mainInfo?.width, mainInfo?.height], [1280, 720]);

      assert.deepEqual(qualities(sub.events), [{ quality: 'sub', reason: 'pinned' }]);
      const subRuns = runsOf(sub.events);
      assert.equal(subRuns.length, 1, 'one configuration');
      assert.deepEqual([subRuns[0]!.config.width, subRuns[0]!.config.height], [640, 360]);
      assert.ok(decodeAll(subRuns) >= subRuns[0]!.units.length - 1, 'every unit decodes');

      assert.deepEqual(qualities(main.events), [], 'no quality message without ?quality= (v1)');
      const mainRuns = runsOf(main.events);
      assert.equal(mainRuns.length, 1);
      assert.deepEqual([mainRuns[0]!.config.width, mainRuns[0]!.config.height], [1280, 720]);
      decodeAll(mainRuns);
      assert.ok(hubUnits.length > 0 && hubUnits.every((u) => u.config.width === 1280), 'the hub consumer: main');

      const stats = (await (await fetch(`${ts.url}/api/cameras/cam`)).json()) as {
        substream: string;
        viewers: { quality?: string; qualityReason?: string }[];
      };
      assert.equal(stats.substream, 'encoder', 'a JPEG camera’s sub-stream comes from camrelay’s encoder');
      assert.ok(
        stats.viewers.some((s) => s.quality === 'sub' && s.qualityReason === 'pinned'),
        'viewer stats',
      );
      assert.equal(stats.viewers.length, 2, 'each viewer once');
    } finally {
      unsubscribe();
      main.close();
      sub.close();
    }
    // The sub encoder runs only while someone wants it.
    await waitFor(
      async () => !(await tracks(ts.url, 'cam')).some((t) => t.quality === 'sub'),
      15_000,
      'the sub encoder stopped after its last viewer',
    );
  });

  it('keyframes: the sub-stream’s keyframes only, every one whole', async () => {
    const kf = await watch(ts.url, '?codec=h264&quality=keyframes');
    try {
      await waitFor(() => kf.units().length >= 4, 30_000, 'keyframes');
      assert.deepEqual(qualities(kf.events), [{ quality: 'keyframes', reason: 'pinned' }]);
      assert.ok(
        kf.units().every((f) => (f.flags & 1) === 1),
        'only keyframes',
      );
      const runs = runsOf(kf.events);
      assert.equal(runs[0]!.config.width, 640);
      assert.equal(decodeAll(runs), kf.units().length, 'each one a picture');
    } finally {
      kf.close();
    }
  });

  it('low: 320 px wide, at most 10 pictures a second, from its own encoder', async () => {
    const low = await watch(ts.url, '?codec=h264&quality=low');
    try {
      await waitFor(() => low.units().length >= 20, 30_000, 'low units');
      assert.deepEqual(qualities(low.events), [{ quality: 'low', reason: 'pinned' }]);
      const runs = runsOf(low.events);
      assert.equal(runs[0]!.config.width, 320);
      assert.equal(decodeAll(runs), low.units().length, 'each one a picture');
      // Units of a camera at 15 fps, made at 10 at most: their capture times at least ~1/10 s apart on average.
      const units = low.units();
      const spanMs = units.at(-1)!.capturedAt - units[0]!.capturedAt;
      assert.ok(spanMs / (units.length - 1) >= 90, `${units.length} units over ${spanMs.toFixed(0)} ms`);
    } finally {
      low.close();
    }
  });

  it('auto starts on main and says so; JPEG viewers ignore ?quality=; a bad value is a 400', async () => {
    const auto = await watch(ts.url, '?codec=h264&quality=auto');
    const jpeg = await watch(ts.url, '?quality=sub');
    try {
      await waitFor(() => auto.units().length >= 5 && jpeg.units().length >= 5, 30_000, 'units');
      assert.deepEqual(qualities(auto.events)[0], { quality: 'main', reason: 'start' });
      assert.equal(runsOf(auto.events)[0]!.config.width, 1280);
      assert.deepEqual(qualities(jpeg.events), []);
      assert.equal(jpeg.units().length > 0, true, 'JPEG frames');
    } finally {
      auto.close();
      jpeg.close();
    }
    await assert.rejects(V1Client.open(wsUrl(ts.url, 'cam', '?codec=h264&quality=best')), /400/);
  });
});

const missing = rtspCameraMissing();
const skip = skipOutsideCi(missing);

describe('substream: the camera’s own sub-stream', () => {
  it('is passed through to sub viewers, read only while one watches', { skip }, async () => {
    requireInCi(missing);
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-substream-'));
    const cam = await startRtspCamera({ width: 640, height: 480, fps: 15, keyint: 15 });
    const sub = await startRtspCamera({ width: 320, height: 240, fps: 15, keyint: 15 });
    let server: TestServer | undefined;
    try {
      const config = join(dir, 'camrelay.yaml');
      writeFileSync(
        config,
        `cameras:\n  - { id: cam, source: "${cam.url}", substream: "${sub.url}", idle_grace: 1 }\n`,
      );
      server = await startServer([], config);
      const main = await watch(server.url, '?codec=h264&quality=main');
      const viewer = await watch(server.url, '?codec=h264&quality=sub');
      try {
        await waitFor(() => viewer.units().length >= 20 && main.units().length >= 20, 30_000, 'units');
        const runs = runsOf(viewer.events);
        assert.deepEqual([runs[0]!.config.width, runs[0]!.config.height], [320, 240]);
        decodeAll(runs);
        assert.deepEqual(qualities(viewer.events), [{ quality: 'sub', reason: 'pinned' }]);
        assert.equal(runsOf(main.events)[0]!.config.width, 640);
        const info = (await tracks(server.url, 'cam')).find((t) => t.quality === 'sub');
        assert.equal(info?.origin, 'native');
        assert.equal(info?.encoder, 'camera', 'passed through');
        assert.equal(server.server.registry.get('cam')!.transcoderStarts, 0, 'no encoder');
        const camera = (await (await fetch(`${server.url}/api/cameras/cam`)).json()) as { substream: string };
        assert.equal(camera.substream, 'camera', 'the API says the sub-stream is the camera’s own');
      } finally {
        viewer.close();
      }
      await waitFor(
        async () => !(await tracks(server!.url, 'cam')).some((t) => t.quality === 'sub'),
        15_000,
        'the substream is no longer read',
      );
      assert.ok(main.units().length > 0);
      main.close();
    } finally {
      await server?.close();
      await cam.stop();
      await sub.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a bad substream is a config error naming the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-substream-'));
    try {
      const config = join(dir, 'camrelay.yaml');
      writeFileSync(config, 'cameras:\n  - { id: cam, source: testsrc, substream: "ftp://nowhere" }\n');
      await assert.rejects(startServer([], config), /substream/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
