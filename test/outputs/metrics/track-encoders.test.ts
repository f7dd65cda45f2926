/**
 * What makes each track and what it costs, in GET /api/cameras/:id and /metrics: a JPEG camera's
 * H.264 viewers are served by an encoder (the one `auto` chose) whose CPU time is counted over
 * all its runs; an H.264 RTSP camera's H.264 viewers get the camera's own stream (`camera`), with
 * no transcoder at all, only the capture's CPU.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TrackInfo } from '../../../src/hub/camera-stream.js';
import type { ViewerStats } from '../../../src/hub/consumer.js';
import { ENCODERS } from '../../../src/ffmpeg/encoders.js';
import {
  requireInCi,
  rtspCameraMissing,
  skipOutsideCi,
  startRtspCamera,
  startServer,
  V1Client,
  waitFor,
  wsUrl,
  type TestServer,
} from '../../support/index.js';

const missing = rtspCameraMissing();
const skipRtsp = skipOutsideCi(missing);

async function tracks(t: TestServer, id: string): Promise<Record<string, TrackInfo>> {
  const body = (await (await fetch(`${t.url}/api/cameras/${id}`)).json()) as { tracks: TrackInfo[] };
  return Object.fromEntries(body.tracks.map((track) => [track.codec, track]));
}

/** The value of one series, `name{labels}` exactly as written in the text; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const metrics = async (t: TestServer): Promise<string> => (await fetch(`${t.url}/metrics`)).text();

describe('encoder in use and its CPU time', () => {
  let t: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-track-encoders-'));

  before(async () => {
    const config = join(dir, 'camrelay.yaml');
    // A short idle grace: the encoder stops soon after its viewer leaves, and starts again for the next.
    writeFileSync(
      config,
      ['cameras:', '  - id: cam', '    source: testsrc?size=320x240&fps=10', '    idle_grace: 1'].join('\n'),
    );
    t = await startServer([], config);
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("names a JPEG camera's H.264 encoder and counts its CPU time over its runs", async () => {
    let viewer = await V1Client.open(wsUrl(t.url, 'cam', '?codec=h264&player=webcodecs'));
    let h264: TrackInfo;
    let encoder: string;
    let firstRun: number;
    try {
      await viewer.waitFrames(5, 30_000);
      const busy = await waitFor(
        async () => {
          const now = await tracks(t, 'cam');
          return (now.h264?.cpuSeconds ?? 0) > 0 && (now.jpeg?.cpuSeconds ?? 0) > 0 && now;
        },
        30_000,
        'CPU time of the encoder and of the capture',
      );
      h264 = busy.h264!;
      assert.equal(h264.origin, 'derived');
      assert.equal(h264.running, true);
      encoder = h264.encoder!;
      assert.ok((ENCODERS as readonly string[]).includes(encoder), `an H.264 encoder: ${encoder}`);
      assert.equal(busy.jpeg!.origin, 'native');
      assert.equal(busy.jpeg!.encoder, 'mjpeg', 'the test pattern is encoded to JPEG by the capture');
      // The viewer's own details: its codec, decode path and skips.
      const body = (await (await fetch(`${t.url}/api/cameras/cam`)).json()) as { viewers: ViewerStats[] };
      assert.equal(body.viewers.length, 1);
      const seen = body.viewers[0]!;
      assert.equal(seen.codec, 'h264');
      assert.equal(seen.path, 'webcodecs');
      assert.equal(typeof seen.framesSkipped, 'number');
      assert.equal(typeof seen.keyframeSkips, 'number');

      const text = await metrics(t);
      assert.equal(sample(text, `camrelay_track_encoder_info{camera="cam",codec="h264",encoder="${encoder}"}`), 1);
      assert.equal(sample(text, 'camrelay_track_encoder_info{camera="cam",codec="jpeg",encoder="mjpeg"}'), 1);
      firstRun = sample(text, 'camrelay_transcoder_cpu_seconds_total{camera="cam",codec="h264"}') ?? NaN;
      assert.ok(firstRun > 0, `transcoder CPU ${firstRun}`);
      assert.ok((sample(text, 'camrelay_capture_cpu_seconds_total{camera="cam"}') ?? NaN) > 0, 'capture CPU');
      assert.equal(sample(text, 'camrelay_transcoder_cpu_seconds_total{camera="cam",codec="jpeg"}'), undefined);
    } finally {
      viewer.close();
    }

    // The encoder stops after the idle grace: its seconds stay counted, and no encoder is in use.
    await waitFor(async () => !(await tracks(t, 'cam')).h264?.running, 20_000, 'the encoder to stop');
    let text = await metrics(t);
    const stopped = sample(text, 'camrelay_transcoder_cpu_seconds_total{camera="cam",codec="h264"}') ?? NaN;
    assert.ok(stopped >= firstRun, `${stopped} s after the encoder stopped, ${firstRun} s before`);
    assert.doesNotMatch(text, /camrelay_track_encoder_info\{camera="cam",codec="h264"/);
    assert.equal((await tracks(t, 'cam')).h264!.encoder, null);

    // A new viewer, a new encoder process: the counter goes on from there.
    viewer = await V1Client.open(wsUrl(t.url, 'cam', '?codec=h264'));
    try {
      await viewer.waitFrames(5, 30_000);
      const more = await waitFor(
        async () => {
          const value = sample(await metrics(t), 'camrelay_transcoder_cpu_seconds_total{camera="cam",codec="h264"}');
          return value !== undefined && value > stopped && value;
        },
        30_000,
        'the second run counted on top of the first',
      );
      assert.ok(more > stopped);
      text = await metrics(t);
      assert.equal(sample(text, `camrelay_track_encoder_info{camera="cam",codec="h264",encoder="${encoder}"}`), 1);
    } finally {
      viewer.close();
    }
  });

  it("says `camera` for an H.264 RTSP camera's H.264 track, with no transcoder", { skip: skipRtsp }, async () => {
    requireInCi(missing);
    const cam = await startRtspCamera({ width: 320, height: 240, fps: 15, keyint: 15 });
    try {
      const ts = await startServer([`rtsp=${cam.url}`]);
      try {
        const viewer = await V1Client.open(wsUrl(ts.url, 'rtsp', '?codec=h264'));
        try {
          await viewer.waitFrames(5, 30_000);
          const now = await waitFor(
            async () => {
              const info = await tracks(ts, 'rtsp');
              return info.h264?.cpuSeconds !== null && info.h264?.running && info;
            },
            20_000,
            'the native H.264 track with its capture CPU time',
          );
          assert.equal(now.h264!.origin, 'native');
          assert.equal(now.h264!.encoder, 'camera', 'passed through: no encoder');
          assert.ok(now.h264!.cpuSeconds! >= 0);
          assert.equal(now.jpeg!.running, false, 'no decoder: nobody watches JPEG');
          assert.equal(now.jpeg!.encoder, null);
          assert.equal(now.jpeg!.cpuSeconds, null, 'no transcoder ever ran');

          const text = await metrics(ts);
          assert.equal(sample(text, 'camrelay_track_encoder_info{camera="rtsp",codec="h264",encoder="camera"}'), 1);
          assert.doesNotMatch(text, /^camrelay_transcoder_cpu_seconds_total\{camera="rtsp"/m);
          assert.ok((sample(text, 'camrelay_capture_cpu_seconds_total{camera="rtsp"}') ?? NaN) >= 0, 'capture CPU');
        } finally {
          viewer.close();
        }
      } finally {
        await ts.close();
      }
    } finally {
      await cam.stop();
    }
  });
});
