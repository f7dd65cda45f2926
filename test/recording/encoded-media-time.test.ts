/**
 * Recordings of a camera camrelay encodes, timed by its encoders' clocks: the test pattern at 15 fps
 * (JPEG, with its frame times in MPEG-TS) made H.264 by camrelay's libx264 for the recorder (the input's
 * pts carried through), recorded by a real server while a busy loop hogs a core, exported as MP4 and read
 * back with ffprobe and ffmpeg. Every frame duration is one frame of 15 fps exactly, in the MP4's ticks (a
 * frame the encoder dropped would leave a whole multiple), ffprobe's r_frame_rate is 15/1, and a plain
 * re-encode keeps every frame (and fills a skipped slot). Timed by arrivals, as before, the durations wandered by milliseconds.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ffprobeErrors, startServer, waitFor, type TestServer } from '../support/index.js';
import { writeConfig } from './helpers.js';

const run = promisify(execFile);
const FPS = 15;

async function probe(file: string, entries: string): Promise<string> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', ...entries.split(' '), file]);
  return stdout;
}

describe('recordings of a camera camrelay encodes, timed by its encoders', () => {
  let dir: string;
  let ts: TestServer;
  let hog: ChildProcess | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-encoded-time-'));
    const config = writeConfig(
      join(dir, 'camrelay.yaml'),
      `recordings: { path: ${join(dir, 'store')}, segment_duration: 3 }\n` +
        `cameras:\n` +
        `  - { id: pattern, source: "testsrc?size=320x240&fps=${FPS}", record: true, encoder: libx264 }\n`,
    );
    ts = await startServer([], config);
    // A core kept busy for 5 s while it records (bounded: the loop ends by itself).
    hog = spawn(process.execPath, ['-e', 'const end = Date.now() + 5000; while (Date.now() < end);'], {
      stdio: 'ignore',
    });
    const store = ts.server.recordings!;
    await waitFor(
      () => store.segments('pattern', 0, Date.now() + 1000).filter((s) => !s.open).length >= 2,
      40_000,
      'two closed segments',
    );
  });
  after(async () => {
    hog?.kill('SIGKILL');
    await ts?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`even frame durations of 1/${FPS} s, r_frame_rate ${FPS}/1, a plain re-encode keeps every frame`, async () => {
    const segments = ts.server.recordings!.segments('pattern', 0, Date.now() + 1000).filter((s) => !s.open);
    const start = segments[0]!.startMs;
    const end = segments[segments.length - 1]!.endMs;
    const response = await fetch(`${ts.url}/api/cameras/pattern/recordings/video.mp4?start=${start}&end=${end}`);
    assert.equal(response.status, 200);
    const path = join(dir, 'pattern.mp4');
    writeFileSync(path, Buffer.from(await response.arrayBuffer()));
    assert.equal(await ffprobeErrors(path), '');

    const timeBase = (await probe(path, '-show_entries stream=time_base -of csv=p=0')).trim();
    const [num, den] = timeBase.split('/').map(Number);
    const frame = den! / num! / FPS;
    assert.ok(Number.isInteger(frame), `one frame is ${frame} ticks of ${timeBase}`);
    const dts = (await probe(path, '-show_entries packet=dts -of csv=p=0'))
      .trim()
      .split('\n')
      .map(Number)
      .filter(Number.isFinite);
    assert.ok(dts.length >= 5 * FPS, `${dts.length} frames`);
    const durations = dts.slice(1).map((d, i) => d - dts[i]!);
    const uneven = durations.filter((d) => d % frame !== 0 || d <= 0);
    assert.deepEqual(uneven, [], `durations not whole frames of ${frame} ticks`);
    // Frames a starved encoder's bounded queue dropped leave whole slots; most durations are one frame.
    const one = durations.filter((d) => d === frame).length;
    assert.ok(one >= durations.length * 0.9, `${durations.length - one} of ${durations.length} durations skip frames`);

    const stream = async (file: string) =>
      (
        JSON.parse(await probe(file, '-count_frames -of json -show_entries stream=r_frame_rate,nb_read_frames')) as {
          streams: [{ r_frame_rate: string; nb_read_frames: string }];
        }
      ).streams[0];
    const info = await stream(path);
    assert.equal(info.r_frame_rate, `${FPS}/1`);
    const out = join(dir, 'reencoded.mp4');
    await run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', '-i', path, out]);
    // Every frame kept: one per slot of 1/FPS s (a slot the encoder skipped is filled by a copy, none lost).
    const slots = Math.round((dts.at(-1)! - dts[0]!) / frame) + 1;
    assert.equal(Number(info.nb_read_frames), dts.length);
    assert.equal(Number((await stream(out)).nb_read_frames), slots, 'every frame kept');
  });
});
