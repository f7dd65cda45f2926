// test lane: waiting (records two small RTSP cameras for ~10 s; little CPU but the re-encode of 320x240)
/**
 * Recordings timed by the camera's clock: two RTSP cameras (the GStreamer fixture) recorded by a real
 * server, exported as MP4 and read back with ffprobe and ffmpeg. A 30 fps camera's export has even frame
 * durations, ffprobe's r_frame_rate is 30/1, and a plain re-encode keeps every frame; a camera with
 * B-frames is recorded with composition offsets (ctts) and decodes without an error, in display order.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  ffprobeErrors,
  requireInCi,
  rtspCameraMissing,
  skipOutsideCi,
  startRtspCamera,
  startServer,
  waitFor,
  type RtspCamera,
  type TestServer,
} from '../support/index.js';
import { writeConfig } from './helpers.js';

const run = promisify(execFile);
const missing = rtspCameraMissing();
const skip = skipOutsideCi(missing);

interface Packet {
  pts: number;
  dts: number;
}

async function packets(file: string): Promise<Packet[]> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts,dts', '-of', 'csv=p=0', file],
  ]);
  return stdout
    .trim()
    .split('\n')
    .map((line) => line.split(',').map(Number))
    .filter((f) => f.length >= 2 && Number.isFinite(f[0]) && Number.isFinite(f[1]))
    .map(([pts, dts]) => ({ pts: pts!, dts: dts! }));
}

async function stream(file: string): Promise<{ r_frame_rate: string; nb_read_frames: string; has_b_frames: number }> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-of', 'json'],
    ...['-show_entries', 'stream=r_frame_rate,nb_read_frames,has_b_frames', file],
  ]);
  return (JSON.parse(stdout) as { streams: [{ r_frame_rate: string; nb_read_frames: string; has_b_frames: number }] })
    .streams[0];
}

describe('recordings timed by the camera’s clock', { skip }, () => {
  let dir: string;
  let plain: RtspCamera;
  let bframes: RtspCamera;
  let ts: TestServer;

  before(async () => {
    requireInCi(missing);
    dir = mkdtempSync(join(tmpdir(), 'camrelay-mediatime-'));
    [plain, bframes] = await Promise.all([
      startRtspCamera({ width: 320, height: 240, fps: 30, keyint: 30 }),
      startRtspCamera({ width: 320, height: 240, fps: 30, keyint: 30, bframes: 2 }),
    ]);
    const config = writeConfig(
      join(dir, 'camrelay.yaml'),
      `recordings: { path: ${join(dir, 'store')}, segment_duration: 4 }\n` +
        `cameras:\n` +
        `  - { id: plain, source: "${plain.url}", record: true }\n` +
        `  - { id: bframes, source: "${bframes.url}", record: true }\n`,
    );
    ts = await startServer([], config);
    const store = ts.server.recordings!;
    // About 10 s of each: two closed segments of 4 s and the open one.
    await waitFor(
      () =>
        ['plain', 'bframes'].every((id) => store.segments(id, 0, Date.now() + 1000).filter((s) => !s.open).length >= 2),
      40_000,
      'two closed segments per camera',
    );
  });
  after(async () => {
    await ts?.close();
    await Promise.all([plain?.stop(), bframes?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function exported(camera: string): Promise<string> {
    const segments = ts.server.recordings!.segments(camera, 0, Date.now() + 1000).filter((s) => !s.open);
    const start = segments[0]!.startMs;
    const end = segments[segments.length - 1]!.endMs;
    const response = await fetch(`${ts.url}/api/cameras/${camera}/recordings/video.mp4?start=${start}&end=${end}`);
    assert.equal(response.status, 200);
    const path = join(dir, `${camera}.mp4`);
    writeFileSync(path, Buffer.from(await response.arrayBuffer()));
    return path;
  }

  it('a 30 fps camera: even frame durations, r_frame_rate 30/1, a plain re-encode keeps every frame', async () => {
    const path = await exported('plain');
    assert.equal(await ffprobeErrors(path), '');
    const list = await packets(path);
    assert.ok(list.length >= 200, `${list.length} frames`);
    const durations = list.slice(1).map((p, i) => p.dts - list[i]!.dts);
    const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
    const sd = Math.sqrt(durations.reduce((a, d) => a + (d - mean) ** 2, 0) / durations.length);
    assert.ok(sd <= 0.01 * mean, `frame durations: mean ${mean}, standard deviation ${sd}`);
    const info = await stream(path);
    assert.equal(info.r_frame_rate, '30/1');
    const out = join(dir, 'reencoded.mp4');
    await run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', '-i', path, out]);
    assert.equal((await stream(out)).nb_read_frames, info.nb_read_frames, 'every frame kept');
  });

  it('a B-frame camera: composition offsets (ctts), decoded without an error in display order', async () => {
    const path = await exported('bframes');
    assert.ok(readFileSync(path).includes('ctts'), 'a ctts box');
    assert.equal(await ffprobeErrors(path), '');
    const list = await packets(path);
    assert.ok(list.length >= 200, `${list.length} frames`);
    assert.ok(
      list.some((p, i) => i > 0 && p.pts < list[i - 1]!.pts),
      'pictures stored out of display order (B-frames)',
    );
    for (const p of list) assert.ok(p.pts >= p.dts, `pts ${p.pts} before dts ${p.dts}`);
    // Display order: every picture's pts once, in steps of one frame (1500 ticks at 45 kHz) past the first GOP.
    const shown = list.map((p) => p.pts).sort((a, b) => a - b);
    assert.equal(new Set(shown).size, shown.length, 'no two pictures at one time');
    const steps = shown.slice(40).map((pts, i) => pts - shown[39 + i]!);
    assert.ok(
      steps.every((s) => Math.abs(s - 1500) <= 15),
      `display steps ${[...new Set(steps)].join(' ')}`,
    );
    const info = await stream(path);
    assert.ok(info.has_b_frames > 0, 'ffprobe sees the reordering');
    assert.equal(Number(info.nb_read_frames), list.length, 'every picture decoded');
  });
});
