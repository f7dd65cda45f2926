import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { ViewerStats } from '../../../src/hub/consumer.js';
import { cameraFrames, decodeJpeg, sleep, startServer, waitFor, type TestServer } from '../../support/index.js';
import { openSeed, parseAnswer, pull } from './seed-client.js';

async function seedViewers(ts: TestServer, camera: string): Promise<ViewerStats[]> {
  const res = await fetch(`${ts.url}/api/cameras/${camera}`);
  return ((await res.json()) as { viewers: ViewerStats[] }).viewers.filter((v) => v.protocol === 'seed-ws');
}

describe("the replaced system's WebSocket protocol on /video", () => {
  let ts: TestServer;
  let wsUrl: string;
  before(async () => {
    // Two cameras: /video is the first one's.
    ts = await startServer(['cam=testsrc?size=320x240&fps=30', 'other=testsrc?size=160x120&fps=30']);
    wsUrl = `${ts.url.replace('http:', 'ws:')}/video`;
  });
  after(() => ts.close());

  it('gives three greedy clients every frame each, never one twice', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => openSeed(wsUrl)));
    try {
      // Measure once the camera (started by these clients) runs.
      await waitFor(
        async () => ((await (await fetch(`${ts.url}/api/cameras/cam`)).json()) as { online: boolean }).online,
        15_000,
        'the camera',
      );
      const made0 = cameraFrames(ts, 'cam');
      const results = await Promise.all(clients.map((ws) => pull(ws, 2000)));
      // Against the camera's own frame counter, not the clock: 40 of its 60 frames in 2 s before.
      const made = cameraFrames(ts, 'cam') - made0;

      const stats = await seedViewers(ts, 'cam');
      assert.equal(stats.length, 3);
      for (const s of stats) {
        assert.match(s.id, /^seed-ws-/);
        const report = `stats ${JSON.stringify(s)} (${made} made)`;
        assert.ok(s.framesSent >= made * 0.67 && s.bytesSent > s.framesSent * 1000, report);
      }

      for (const [i, answers] of results.entries()) {
        const got = `client ${i + 1} got ${answers.length} of the camera's ${made} pictures`;
        assert.ok(answers.length >= made * 0.67, got);
        const unique = new Set(answers.map((a) => a.sha1));
        assert.equal(unique.size, answers.length, `client ${i + 1} got the same frame twice`);
        for (const answer of [answers[0]!, answers[Math.floor(answers.length / 2)]!, answers.at(-1)!]) {
          const image = decodeJpeg(answer.jpeg);
          assert.deepEqual([image.width, image.height], [320, 240]);
        }
      }
      // Shared frames, not split ones: what one client got, the others got too.
      const [a, b] = results.map((answers) => new Set(answers.map((x) => x.sha1)));
      const common = [...a!].filter((h) => b!.has(h)).length;
      assert.ok(common >= 0.8 * Math.min(a!.size, b!.size), `only ${common} frames in common between two clients`);
    } finally {
      for (const ws of clients) ws.close();
    }
    await waitFor(
      async () => (await seedViewers(ts, 'cam')).length === 0,
      5000,
      'the viewers to be gone after they closed',
    );
  });

  it('merges requests made before an answer into one', async () => {
    const ws = await openSeed(wsUrl);
    try {
      await pull(ws, 300); // the camera runs and this client has had the newest frame
      const answers: string[] = [];
      ws.on('message', (data) => answers.push(data.toString()));
      for (let i = 0; i < 10; i++) ws.send('msg');
      await sleep(1000);
      // One answer, or two if a frame came between the first request and the rest.
      assert.ok(answers.length >= 1 && answers.length <= 2, `${answers.length} answers to 10 requests sent at once`);
      for (const text of answers) parseAnswer(text);
    } finally {
      ws.close();
    }
  });

  it('answers with the next frame when the client has the newest already', async () => {
    const ws = await openSeed(wsUrl);
    try {
      const [first] = await pull(ws, 300);
      assert.ok(first);
      const started = Date.now();
      ws.send('msg');
      const [data] = (await once(ws, 'message')) as [Buffer];
      const next = parseAnswer(data.toString());
      assert.notEqual(next.sha1, first.sha1);
      assert.ok(Date.now() - started < 1000);
    } finally {
      ws.close();
    }
  });

  it('closes with 1003 on a binary message', async () => {
    const ws = await openSeed(wsUrl);
    ws.send(Buffer.from([1, 2, 3]));
    const [code] = (await once(ws, 'close')) as [number, Buffer];
    assert.equal(code, 1003);
  });

  it('is not an HTTP route: without an upgrade, 426 with a JSON error', async () => {
    const res = await fetch(`${ts.url}/video`);
    assert.equal(res.status, 426);
    assert.equal(((await res.json()) as { error: string }).error, 'Upgrade Required');
  });
});
