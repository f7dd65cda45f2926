// test lane: waiting (two cameras play 320x240 clips in real time; the detectors decode them at 5 fps)
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MotionObservation } from '../../src/motion/index.js';
import { startServer, waitFor, type TestServer } from '../support/index.js';
import { ensureMotionClips } from '../support/motion-clips.js';

describe('motion detection through the server', () => {
  let ts: TestServer;
  const seen: Record<string, MotionObservation[]> = { yard: [], door: [] };
  let startedAt = 0;

  before(async () => {
    const [zone, small] = await ensureMotionClips(['object-zone', 'object-small']);
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-motion-'));
    const config = join(dir, 'camrelay.yaml');
    const zones = JSON.stringify(zone!.truth.zones);
    writeFileSync(
      config,
      [
        // Events are kept in the recordings' index: here, not in the working directory.
        `recordings: { path: "${join(dir, 'recordings')}" }`,
        'cameras:',
        // An H.264 camera: its own main stream is analysed.
        `  - { id: yard, source: "file:${zone!.path}", motion: { zones: ${zones} } }`,
        // A JPEG camera with its own H.264 sub-stream: the sub-stream is analysed.
        `  - { id: door, source: "testsrc?size=320x240&fps=5", substream: "file:${small!.path}", motion: true }`,
        '  - { id: plain, source: testsrc }',
      ].join('\n'),
    );
    ts = await startServer([], config);
    startedAt = Date.now();
    for (const id of ['yard', 'door']) ts.server.motion.subscribe(id, (o) => seen[id]!.push(o));
  });

  after(async () => {
    await ts?.close();
  });

  it('captures a camera with motion all the time, no viewer needed', async () => {
    await waitFor(() => seen.yard!.length > 0 && seen.door!.length > 0, 30_000, 'observations of both cameras');
    for (const id of ['yard', 'door']) {
      const camera = ts.server.registry.get(id)!;
      assert.equal(camera.watcherCount, 0);
      assert.equal(camera.state, 'online');
    }
    assert.equal(ts.server.registry.get('plain')!.state, 'idle', 'a camera without motion stays on demand');
  });

  it('sees the box cross the drive (H.264 main stream), never the excluded leaves before it', async () => {
    await waitFor(() => seen.yard!.some((o) => o.motion), 40_000, 'motion on yard');
    const first = seen.yard!.findIndex((o) => o.motion);
    const hit = seen.yard![first]!;
    assert.deepEqual(hit.zones, ['drive']);
    assert.ok(hit.score > 0 && hit.score < 0.2, `score ${hit.score}`);
    assert.equal(hit.camera, 'yard');
    assert.ok(Math.abs(hit.at - Date.now()) < 60_000, 'at is wall time');
    assert.ok(first > 5, 'pictures without motion came first (the leaves shake all along)');
    for (const o of seen.yard!) assert.ok(o.at >= startedAt - 5000);
  });

  it('analyses the camera’s own sub-stream when it has one, and sees the small box there', async () => {
    assert.equal(ts.server.motion.info('door')!.input, 'sub');
    assert.equal(ts.server.motion.info('yard')!.input, 'main');
    await waitFor(() => seen.door!.some((o) => o.motion), 40_000, 'motion on door');
  });

  it('analyses at most `fps` pictures a second, however many the camera sends', () => {
    const seconds = (Date.now() - startedAt) / 1000;
    for (const id of ['yard', 'door'])
      assert.ok(seen[id]!.length <= 5 * seconds + 5, `${id}: ${seen[id]!.length} in ${seconds} s`);
  });

  it('GET /api/cameras/:id/motion: the latest picture, its mask on request', async () => {
    const body = (await (await fetch(`${ts.url}/api/cameras/yard/motion?mask=1`)).json()) as Record<string, unknown>;
    assert.equal(body.enabled, true);
    assert.equal(body.input, 'main');
    assert.equal(body.width, 320);
    assert.equal(body.height, 240);
    assert.equal(typeof body.score, 'number');
    assert.deepEqual(
      (body.zones as { name: string }[]).map((z) => z.name),
      ['drive', 'tree'],
    );
    const mask = Buffer.from(body.mask as string, 'base64');
    assert.equal(mask.length, (320 * 240) / 4);
    const plain = (await (await fetch(`${ts.url}/api/cameras/plain/motion`)).json()) as Record<string, unknown>;
    assert.deepEqual(plain, { camera: 'plain', enabled: false });
    assert.equal((await fetch(`${ts.url}/api/cameras/nope/motion`)).status, 404);
  });

  it('/metrics: pictures analysed and the detector’s CPU per camera', async () => {
    const text = await (await fetch(`${ts.url}/metrics`)).text();
    const frames = /camrelay_motion_frames_analysed_total\{camera="yard"\} (\d+)/.exec(text);
    assert.ok(frames && Number(frames[1]) > 0, text.slice(0, 200));
    assert.match(text, /camrelay_motion_cpu_seconds_total\{camera="door",part="decoder"\} [\d.e-]+/);
    assert.match(text, /camrelay_motion_cpu_seconds_total\{camera="door",part="analysis"\} [\d.e-]+/);
  });
});
