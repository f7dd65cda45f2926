/**
 * The smaller H.264 streams camrelay makes, with real ffmpeg and a real low-bitrate camera: H.264 at
 * 1280x720, 15 fps, a keyframe every 2 s, held to 100 kbit/s by its encoder over a busy picture (ffmpeg's
 * testsrc2: the sub-stream encoder, asked for 400 kbit/s, would use all of it), played as a camera plays it
 * (a file source, passed through at its own rate). The sub-stream is never bigger than the main stream, the
 * `low` rung never bigger than the sub-stream, and `low` is 320 px wide at several (at most 10) pictures a
 * second, listed by the API while it is made.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { Quality } from '../../src/hub/consumer.js';
import type { AccessUnit } from '../../src/media/index.js';
import { sleep, startServer, waitFor, type TestServer } from '../support/index.js';

/** A camera's recording: `seconds` of testsrc2 in H.264 at `kbps` (the camera's own rate control). */
function lowBitrateCamera(path: string, kbps: number, seconds: number): void {
  const rate = [`-b:v`, `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps * 2}k`];
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=15'],
    ...['-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', ...rate, '-g', '30', '-bf', '0'],
    ...['-pix_fmt', 'yuv420p', path],
  ]);
}

interface Arrival {
  at: number;
  bytes: number;
  unit: AccessUnit;
}

/** kbit/s and pictures a second of what arrived from `from` on (performance.now() ms). */
function rate(arrivals: Arrival[], from: number): { kbps: number; fps: number } {
  const late = arrivals.filter((a) => a.at >= from);
  const seconds = (late.at(-1)!.at - late[0]!.at) / 1000;
  const bytes = late.slice(0, -1).reduce((sum, a) => sum + a.bytes, 0);
  return { kbps: (bytes * 8) / 1000 / seconds, fps: (late.length - 1) / seconds };
}

describe('camrelay’s smaller H.264 streams', () => {
  it('of a low-bitrate camera: sub ≤ main, low ≤ sub; low is 320 px wide at several pictures a second', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-rungs-'));
    const video = join(dir, 'camera.mp4');
    lowBitrateCamera(video, 100, 20);
    let server: TestServer | undefined;
    const unsubscribe: (() => void)[] = [];
    try {
      const config = join(dir, 'camrelay.yaml');
      writeFileSync(config, `cameras:\n  - { id: cam, source: "file:${video}", encoder: libx264, idle_grace: 1 }\n`);
      server = await startServer([], config);
      const stream = server.server.registry.get('cam')!;
      const got: Record<Quality, Arrival[]> = { main: [], sub: [], low: [] };
      // All three at once from an idle camera: the rungs start before anything of the main stream is measured.
      for (const quality of ['main', 'sub', 'low'] as const) {
        const consumer = {
          onUnit: (unit: AccessUnit) => got[quality].push({ at: performance.now(), bytes: unit.data.length, unit }),
        };
        unsubscribe.push(stream.subscribe(consumer, 'h264', quality));
      }
      await waitFor(() => got.low.length > 0 && got.sub.length > 0, 30_000, 'units of the sub and low streams');
      const start = performance.now();
      // Long enough for a measure of the main stream, a retune at its next keyframe, and 8 s after it.
      await sleep(14_000);
      const from = start + 6000;
      const main = rate(got.main, from);
      const sub = rate(got.sub, from);
      const low = rate(got.low, from);
      const said = JSON.stringify({ main, sub, low });
      assert.ok(sub.kbps <= main.kbps, `the sub-stream is not bigger than the main stream: ${said}`);
      assert.ok(low.kbps <= sub.kbps, `low is not bigger than the sub-stream: ${said}`);
      const lowConfig = got.low.at(-1)!.unit.config;
      assert.deepEqual([lowConfig.codec, lowConfig.width, lowConfig.height], ['h264', 320, 180]);
      assert.equal(got.sub.at(-1)!.unit.config.width, 640);
      assert.ok(low.fps >= 5 && low.fps <= 10.5, `low: several pictures a second, at most 10: ${said}`);

      const res = await fetch(`${server.url}/api/cameras/cam`);
      const tracks = (
        (await res.json()) as {
          tracks: { codec: string; quality: string; origin: string; running: boolean; width: number }[];
        }
      ).tracks;
      const listed = tracks.find((t) => t.quality === 'low');
      assert.deepEqual(
        listed && [listed.codec, listed.origin, listed.running, listed.width],
        ['h264', 'derived', true, 320],
        'the API lists the low track while it is made',
      );
    } finally {
      for (const off of unsubscribe) off();
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
