/**
 * Recording an H.265 camera (a file of libx265 video, passed through): its own units are written as
 * they come, with no decoder or encoder, into fragmented MP4 with an `hvc1` sample entry; every
 * segment plays in ffprobe as HEVC with as many frames as it holds samples, and so does the
 * `video.mp4` export of the recorded range; a thumbnail of it decodes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readFragmentedFile } from '../../src/recording/fragment-file.js';
import { readJpegSize } from '../../src/codec/jpeg.js';
import { ffprobeErrors, ffprobeInfo, startServer, waitFor, type TestServer } from '../support/index.js';
import { hasEncoder } from '../codec/fixtures.js';
import { checkStore, makeH264Clip, writeConfig } from './helpers.js';

const skip = hasEncoder('libx265') ? false : 'this ffmpeg has no libx265';

describe('recording an H.265 camera', { skip }, () => {
  let dir: string;
  let root: string;
  let ts: TestServer | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-rec265-'));
    root = join(dir, 'store');
    makeH264Clip(join(dir, 'clip.mp4'), { seconds: 8, codec: 'h265' });
  });
  after(async () => {
    await ts?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes its H.265 as it comes: hvc1 segments and an export that play', async () => {
    const config = writeConfig(
      join(dir, 'camrelay.yaml'),
      `recordings: { path: ${root}, segment_duration: 2 }\n` +
        `cameras:\n  - { id: hevc, source: "file:${join(dir, 'clip.mp4')}", record: true }\n`,
    );
    ts = await startServer([], config);
    const store = ts.server.recordings!;
    const closed = () => store.segments('hevc', 0, Date.now() + 1000).filter((s) => !s.open);
    await waitFor(() => closed().length >= 2, 40_000, 'two closed segments');
    const camera = ts.server.registry.get('hevc')!;
    assert.equal(camera.native, 'h265');
    assert.equal(camera.transcoderStarts, 0, 'recorded as it comes: nothing decoded or encoded');

    const segments = closed().slice(0, 2);
    let samples = 0;
    for (const segment of segments) {
      assert.match(segment.codecString, /^hvc1\./);
      const parsed = await readFragmentedFile(segment.file);
      assert.equal(parsed.codec, 'h265');
      const count = parsed.fragments.reduce((n, f) => n + f.samples.length, 0);
      const info = await ffprobeInfo(segment.file);
      assert.equal(info.codec, 'hevc');
      assert.equal(info.frames, count, 'every sample a picture');
      assert.ok(info.startsWithKeyframe);
      assert.equal(await ffprobeErrors(segment.file), '');
      samples += count;
    }

    const start = segments[0]!.startMs;
    const end = segments[1]!.endMs;
    const res = await fetch(`${ts.url}/api/cameras/hevc/recordings/video.mp4?start=${start}&end=${end}`);
    assert.equal(res.status, 200);
    const file = join(dir, 'export.mp4');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const exported = await ffprobeInfo(file);
    assert.equal(exported.codec, 'hevc');
    assert.equal(exported.frames, samples, 'the export holds every recorded frame of the range');
    assert.ok(exported.startsWithKeyframe);
    assert.equal(await ffprobeErrors(file), '');

    const thumb = await fetch(`${ts.url}/api/cameras/hevc/recordings/thumbnail.jpg?t=${start + 500}&width=160`);
    assert.equal(thumb.status, 200);
    assert.deepEqual(readJpegSize(Buffer.from(await thumb.arrayBuffer())), { width: 160, height: 120 });

    await ts.close();
    ts = undefined;
    await checkStore(root, 'hevc');
  });
});
