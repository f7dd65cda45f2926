/**
 * Recording with real ffmpeg and real files: an H.264 camera (a file passed through) and a JPEG
 * camera (its H.264 encoded by camrelay for the recorder) write fragmented MP4 segments with no
 * viewer; each plays without an error in ffprobe, starts at a keyframe, and the index agrees with
 * the files. Live viewers are served as before while the recorder runs; the API says each camera's
 * recording state, and /metrics counts what was written.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ffmpegChildren, startServer, waitFor, V1Client, wsUrl, type TestServer } from '../support/index.js';
import { checkStore, gapRows, makeH264Clip, writeConfig } from './helpers.js';

describe('recording', () => {
  let dir: string;
  let root: string;
  let ts: TestServer | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-rec-'));
    root = join(dir, 'store');
    makeH264Clip(join(dir, 'clip.mp4'), { seconds: 16 });
  });
  after(async () => {
    await ts?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes playable segments for an H.264 and a JPEG camera, with nobody watching', async () => {
    const config = writeConfig(
      join(dir, 'camrelay.yaml'),
      `recordings: { path: ${root}, segment_duration: 2 }\n` +
        `cameras:\n` +
        `  - { id: h264cam, source: "file:${join(dir, 'clip.mp4')}", record: true }\n` +
        `  - { id: jpegcam, source: "testsrc?size=320x240&fps=10", record: { retain_days: 1 } }\n` +
        `  - { id: plain, source: "testsrc?size=160x120&fps=5" }\n`,
    );
    ts = await startServer([], config);
    const store = ts.server.recordings;
    assert.ok(store, 'a store');
    // No viewer: the cameras capture for the recorder alone.
    await waitFor(
      () =>
        store.segments('h264cam', 0, Date.now() + 1000).filter((s) => !s.open).length >= 2 &&
        store.segments('jpegcam', 0, Date.now() + 1000).filter((s) => !s.open).length >= 2,
      40_000,
      'two closed segments per recorded camera',
    );
    assert.equal(ts.server.registry.get('h264cam')!.viewers().length, 0);

    const cameras = (await (await fetch(`${ts.url}/api/cameras`)).json()) as {
      cameras: { id: string; recording: { enabled: boolean; state: string } | null }[];
    };
    const byId = new Map(cameras.cameras.map((c) => [c.id, c.recording]));
    assert.equal(byId.get('h264cam')?.state, 'recording');
    assert.equal(byId.get('jpegcam')?.state, 'recording');
    assert.equal(byId.get('plain'), null);
    const one = (await (await fetch(`${ts.url}/api/cameras/h264cam`)).json()) as { recording: { state: string } };
    assert.equal(one.recording.state, 'recording');

    // A live viewer is served while the recorder runs.
    const viewer = await V1Client.open(wsUrl(ts.url, 'h264cam', '?codec=h264'));
    try {
      await viewer.waitFrames(10, 20_000);
      // Every frame the camera made reaches the viewer (a passthrough H.264 camera at 25 fps).
      const { received, made } = await viewer.framesMadeWhileReceiving(25);
      assert.equal(received, made, 'no frame skipped while recording');
    } finally {
      viewer.close();
    }

    const metrics = await (await fetch(`${ts.url}/metrics`)).text();
    assert.match(metrics, /camrelay_recording_bytes_total\{camera="h264cam"\} [1-9]/);
    assert.match(metrics, /camrelay_recording_segments_total\{camera="jpegcam"\} [1-9]/);
    assert.match(metrics, /camrelay_recording_state\{camera="h264cam",state="recording"\} 1/);
    assert.doesNotMatch(metrics, /camera="plain"[^\n]*recording/);

    // The open segment is listed, as far as it is on disk.
    const segments = store.segments('h264cam', 0, Date.now() + 1000);
    for (const s of segments) assert.ok(s.file.startsWith(root + '/h264cam/'), s.file);
    assert.ok(store.cameras().includes('h264cam') && store.cameras().includes('jpegcam'));

    await ts.close();
    ts = undefined;
    const rows = await checkStore(root);
    assert.ok(rows.filter((r) => r.camera === 'h264cam').length >= 2);
    // Consecutive segments of a camera join up (a new one starts where the last ended), or a gap says why not.
    const gaps = gapRows(root);
    for (const camera of ['h264cam', 'jpegcam']) {
      const mine = rows.filter((r) => r.camera === camera);
      for (let i = 1; i < mine.length; i++) {
        const [end, start] = [mine[i - 1]!.end_ms, mine[i]!.start_ms];
        const explained = gaps.some((g) => g.camera === camera && g.start_ms === end && g.end_ms === start);
        assert.ok(Math.abs(start - end) <= 2 || explained, `${camera}: ${end} to ${start}`);
      }
    }
  });

  it('ends the segment when the camera goes offline and records the outage as a gap', async () => {
    const config = writeConfig(
      join(dir, 'outage.yaml'),
      `recordings: { path: ${root}, segment_duration: 60 }\n` +
        `cameras:\n  - { id: outage, source: "file:${join(dir, 'clip.mp4')}", record: true }\n`,
    );
    ts = await startServer([], config);
    const store = ts.server.recordings!;
    await waitFor(() => store.segments('outage', 0, Date.now() + 1000).some((s) => s.open), 20_000, 'recording');
    const [capture] = ffmpegChildren();
    assert.ok(capture, 'the camera runs ffmpeg');
    process.kill(capture, 'SIGKILL');
    await waitFor(
      () => store.segments('outage', 0, Date.now() + 1000).filter((s) => !s.open).length === 1,
      20_000,
      'the segment ended by the outage',
    );
    // Back after its restart: a new segment, and the outage between them is a gap 'offline' with the reason.
    await waitFor(() => store.segments('outage', 0, Date.now() + 1000).length >= 2, 30_000, 'recording again');
    const [first, second] = store.segments('outage', 0, Date.now() + 1000);
    const gaps = store.gaps('outage', 0, Date.now() + 1000);
    assert.equal(gaps.length, 1, JSON.stringify(gaps));
    assert.equal(gaps[0]!.reason, 'offline');
    assert.ok(gaps[0]!.detail, 'the offline reason');
    assert.equal(gaps[0]!.startMs, first!.endMs);
    assert.equal(gaps[0]!.endMs, second!.startMs);
    await ts.close();
    ts = undefined;
    await checkStore(root);
  });
});
