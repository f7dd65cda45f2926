import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { ViewerStats } from '../../../src/hub/consumer.js';
import { startServer, V1Client, waitFor, wsUrl, type TestServer } from '../../support/index.js';
import { openMjpeg, type MjpegClient } from '../mjpeg/mjpeg-client.js';

/** The value of one series, `name{labels}` exactly as written in the text; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** camrelay's own series (not the process's, whose handle types and GC kinds vary on their own). */
function ownSeries(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /^camrelay_(camera|viewer)_/.test(l))
    .map((l) => l.slice(0, l.lastIndexOf(' ')));
}

describe('/metrics', () => {
  let t: TestServer;
  const metrics = async (): Promise<string> => (await fetch(`${t.url}/metrics`)).text();
  const apiViewers = async (): Promise<ViewerStats[]> =>
    ((await (await fetch(`${t.url}/api/cameras/cam`)).json()) as { viewers: ViewerStats[] }).viewers;

  /** `ws` protocol v1 viewers (acking) and `mjpeg` viewers, all receiving; returns their ids. */
  async function watch(ws: number, mjpeg: number): Promise<{ ids: string[]; close: () => Promise<void> }> {
    const v1 = await Promise.all(Array.from({ length: ws }, () => V1Client.open(wsUrl(t.url, 'cam'))));
    const parts: MjpegClient[] = [];
    for (let i = 0; i < mjpeg; i++) parts.push(await openMjpeg(`${t.url}/api/cameras/cam/stream.mjpeg`));
    await Promise.all([...v1.map((v) => v.waitFrames(3)), ...parts.map((p) => p.first)]);
    const viewers = await waitFor(
      async () => {
        const list = await apiViewers();
        const acked = list.filter((v) => v.rttMs !== undefined).length;
        return list.length === ws + mjpeg && acked === ws && list;
      },
      10_000,
      'every viewer in the API, the WebSocket ones with an RTT',
    );
    return {
      ids: viewers.map((v) => v.id),
      close: async () => {
        for (const v of v1) v.close();
        for (const p of parts) p.close();
        await waitFor(async () => (await apiViewers()).length === 0, 10_000, 'the viewers to be gone');
      },
    };
  }

  before(async () => {
    t = await startServer(['cam=testsrc?size=160x120&fps=10', 'spare=testsrc?size=160x120&fps=10']);
  });
  after(() => t.close());

  it('reports event-loop lag values that are the delay, small on an idle server', async () => {
    // First, while nothing has watched yet: no viewer, no capture.
    // The monitor ticks once a second; wait for its samples.
    const lag = (text: string, series: string): number =>
      sample(text, `camrelay_nodejs_eventloop_lag_${series}_seconds`) ?? NaN;
    const text = await waitFor(
      async () => {
        const now = await metrics();
        return lag(now, 'max') > 0 && now;
      },
      20_000,
      'event-loop samples',
    );
    for (const series of ['min', 'mean', 'p50', 'p90']) {
      const value = lag(text, series);
      assert.ok(value >= 0 && value < 0.5, `${series} ${value} s: the delay, not the 1 s sampling interval`);
    }
  });

  it('passes promtool check metrics with a camera and viewers over WebSocket and MJPEG, and an H.264 viewer', async () => {
    const viewers = await watch(2, 1);
    // The other camera's H.264 viewer: its encoder's series (what it is, its CPU time) are checked too.
    const h264 = await V1Client.open(wsUrl(t.url, 'spare', '?codec=h264'));
    try {
      await h264.waitFrames(3, 30_000);
      const transcoderCpu = 'camrelay_transcoder_cpu_seconds_total{camera="spare",codec="h264"}';
      const text = await waitFor(
        async () => {
          const now = await metrics();
          return (
            /^camrelay_track_encoder_info\{camera="spare",codec="h264",encoder="[a-z0-9_]+"\} 1$/m.test(now) &&
            sample(now, transcoderCpu) !== undefined &&
            now
          );
        },
        10_000,
        'the H.264 encoder series',
      );
      assert.ok((sample(text, 'camrelay_capture_cpu_seconds_total{camera="spare"}') ?? NaN) >= 0);
      assert.ok((sample(text, 'camrelay_viewer_rtt_seconds_count{camera="cam"}') ?? 0) > 0, 'RTT samples observed');
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(check.error, undefined, 'promtool runs (scripts/ensure-test-deps.sh installs it)');
      assert.equal(`${check.stdout}${check.stderr}`, '', 'promtool reports no problem');
      assert.equal(check.status, 0);
      // What promtool used to reject is gone for good: milliseconds, and `_total` gauges.
      assert.doesNotMatch(text, /_milliseconds|^# TYPE \S+_total gauge$/m);
    } finally {
      h264.close();
      await viewers.close();
      await waitFor(
        async () =>
          ((await (await fetch(`${t.url}/api/cameras/spare`)).json()) as { viewers: unknown[] }).viewers.length === 0,
        10_000,
        'the H.264 viewer to be gone',
      );
    }
  });

  it('labels no series by viewer, and keeps the series count whatever the number of viewers that came', async () => {
    const first = await watch(2, 1);
    const during = await metrics();
    await first.close();
    const afterFew = await metrics();
    const series = ownSeries(afterFew);
    const sent = (text: string): number =>
      sample(text, 'camrelay_viewer_frames_sent_total{camera="cam",protocol="ws-v1"}') ?? NaN;
    assert.ok(sent(afterFew) >= sent(during), 'the frames sent to viewers gone still count');

    const connections = (text: string, protocol: string): number =>
      sample(text, `camrelay_viewer_connections_total{camera="cam",protocol="${protocol}"}`) ?? NaN;
    const dropCount = (text: string): number =>
      sample(text, 'camrelay_viewer_dropped_ratio_count{camera="cam"}') ?? NaN;
    const second = await watch(5, 3);
    const ids = [...first.ids, ...second.ids];
    await second.close();
    const afterMany = await metrics();

    assert.deepEqual(ownSeries(afterMany), series, 'the same series after 8 more viewers');
    assert.equal(connections(afterMany, 'ws-v1') - connections(afterFew, 'ws-v1'), 5);
    assert.equal(connections(afterMany, 'mjpeg') - connections(afterFew, 'mjpeg'), 3);
    assert.equal(dropCount(afterMany) - dropCount(afterFew), 8, 'each viewer gone in the dropped-frames distribution');
    for (const text of [during, afterFew, afterMany]) {
      assert.doesNotMatch(text, /\b(viewer|remote)="/, 'no viewer id or address label');
      assert.doesNotMatch(text, /127\.0\.0\.1/);
      for (const id of ids) assert.ok(!text.includes(id), `viewer ${id} named in /metrics`);
    }
  });
});
