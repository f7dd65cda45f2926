// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * Sources beyond the test pattern, with real ffmpeg on both ends: an
 * MJPEG-over-HTTP camera (another camrelay's stream.mjpeg, as an
 * mjpg-streamer would serve it) passes through untouched; a video file that
 * is not MJPEG is encoded, looped, and paced at the fps asked for, each picture timed by its encoder; an H.264
 * file is copied, and keeps going past the end of each loop.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AccessUnit as Frame } from '../../../src/media/index.js';
import { locateFfmpeg } from '../../../src/ffmpeg/locate.js';
import { decodeJpeg, startServer, waitFor } from '../../support/index.js';

function collect(frames: Frame[]) {
  return { onUnit: (f: Frame) => frames.push(f) };
}

describe('network and file sources', () => {
  it('passes an MJPEG-over-HTTP camera through untouched', async () => {
    const upstream = await startServer(['cam=testsrc?size=320x240&fps=15']);
    try {
      const sent = new Map<string, Frame>();
      const upstreamCam = upstream.server.registry.get('cam')!;
      const stopUpstream = upstreamCam.subscribe({ onUnit: (f) => sent.set(f.data.toString('base64'), f) });
      const relay = await startServer([`door=${upstream.url}/api/cameras/cam/stream.mjpeg`]);
      try {
        const camera = relay.server.registry.get('door')!;
        const got: Frame[] = [];
        camera.subscribe(collect(got));
        await waitFor(() => got.length >= 15, 15_000, '15 frames from the HTTP camera');
        assert.equal(camera.kind, 'http');
        for (const f of got.slice(2)) {
          assert.equal(f.config.width, 320);
          assert.ok(sent.has(f.data.toString('base64')), 'the very JPEG the camera sent, not a re-encoding');
        }
      } finally {
        await relay.close();
        stopUpstream();
      }
    } finally {
      await upstream.close();
    }
  });

  it('encodes a non-MJPEG video file, loops it, and paces it at its fps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-file-'));
    const clip = join(dir, 'clip.mp4');
    // One second of MPEG-4 video: the camera must loop it to keep going.
    execFileSync(locateFfmpeg().path, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=256x144:rate=25',
      '-t',
      '1',
      '-c:v',
      'mpeg4',
      clip,
    ]);
    const t = await startServer([`clip=file:${clip}?fps=10`]);
    try {
      const camera = t.server.registry.get('clip')!;
      const got: Frame[] = [];
      camera.subscribe(collect(got));
      await waitFor(() => got.length >= 1, 10_000, 'first frame');
      const start = got.length;
      const t0 = Date.now();
      // Through three loops of a one-second file (10 frames each at fps=10), paced: never more than
      // 10 a second (with the former 1.27 margin); a slow machine only makes them come later.
      await waitFor(() => got.length >= start + 30, 20_000, 'three loops of the file');
      const seconds = (Date.now() - t0) / 1000;
      const n = got.length - start;
      assert.ok(n <= seconds * 10 * 1.27 + 1, `${n} frames in ${seconds.toFixed(2)} s`);
      assert.ok(seconds < 6, `${n} frames in ${seconds.toFixed(2)} s: paced at less than half its rate`);
      const image = decodeJpeg(got.at(-1)!.data);
      assert.deepEqual([image.width, image.height], [256, 144]);
      assert.equal(camera.state, 'online');
      // Each picture timed by its encoder (in MPEG-TS), not by its arrival: one frame of 10 fps apart
      // exactly (9000 ticks of 90 kHz), across the loops too.
      const steps = got.slice(start).map((f, i) => f.pts - got[start + i - 1]!.pts);
      assert.deepEqual([...new Set(steps)], [9000]);
    } finally {
      await t.close();
    }
  });

  it('copies an H.264 file and loops it without a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-file-'));
    const clip = join(dir, 'clip.mp4');
    // One second of H.264 at 25 fps, a keyframe every 12 pictures.
    execFileSync(locateFfmpeg().path, [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=25', '-t', '1'],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-g', '12', '-pix_fmt', 'yuv420p', clip],
    ]);
    const t = await startServer([`clip=file:${clip}`]);
    try {
      const camera = t.server.registry.get('clip')!;
      const got: Frame[] = [];
      camera.subscribe(collect(got), 'h264');
      // Three passes through the file; a source that stopped at the end of the first would have to be
      // restarted (after its stall timeout) to get there.
      await waitFor(() => got.length >= 75, 30_000, 'three loops of the file');
      assert.equal(camera.counters.restarts, 0, 'restarts');
      assert.equal(camera.state, 'online');
      assert.ok(got.every((u) => u.config.codec === 'h264'));
      assert.deepEqual([got.at(-1)!.config.width, got.at(-1)!.config.height], [256, 144]);
      assert.ok(got.filter((u) => u.keyframe).length >= 6, 'keyframes in every loop');
    } finally {
      await t.close();
    }
  });
});
