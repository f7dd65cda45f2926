// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/** The viewer protocol against a real server and a real ffmpeg test pattern: greeting, frames, flow control, control messages, stats. */
import assert from 'node:assert/strict';
import type { ViewerStats } from '../../../src/hub/consumer.js';
import { after, before, describe, it } from 'node:test';
import { preciseNow } from '../../../src/hub/consumer.js';
import { decodeJpeg, sleep, startServer, waitFor, type TestServer } from '../../support/index.js';
import { rejectedUpgrade } from '../../support/upgrade.js';
import { V1Client, wsUrl } from '../../support/v1-client.js';

let ts: TestServer;
const url = (query = '', camera = 'cam') => wsUrl(ts.url, camera, query);

type ApiViewer = ViewerStats;

async function apiViewers(camera = 'cam'): Promise<ApiViewer[]> {
  const res = await fetch(`${ts.url}/api/cameras/${camera}`);
  return ((await res.json()) as { viewers: ApiViewer[] }).viewers;
}

describe('WebSocket viewer protocol v1', () => {
  before(async () => {
    ts = await startServer(['cam=testsrc?size=320x240&fps=30', 'slow=testsrc?size=160x120&fps=0.5']);
  });
  after(async () => {
    await ts.close();
  });

  it('greets with hello, then sends frames as header + JPEG', async () => {
    const v = await V1Client.open(url(), { autoAck: true });
    const [first] = await v.waitFrames(3);
    assert.deepEqual(v.texts[0], {
      type: 'hello',
      protocol: 1,
      camera: 'cam',
      codec: 'jpeg',
      width: 320,
      height: 240,
      window: 2,
    });
    assert.equal(v.texts.filter((m) => m.type === 'hello').length, 1);
    // The camera was idle until this viewer came: offline first, then online with its first frame.
    assert.equal(v.texts[1]?.type, 'status');
    assert.equal(v.texts[1]?.online, false);
    assert.equal(v.texts[2]?.type, 'status');
    assert.equal(v.texts[2]?.online, true);
    for (const f of v.frames.slice(0, 3)) {
      assert.equal(f.version, 1);
      assert.equal(f.codec, 1);
      assert.equal(f.flags & 1, 1, 'keyframe');
      assert.equal(f.headerLength, 16);
      assert.equal(f.jpeg[0], 0xff);
      assert.equal(f.jpeg[1], 0xd8);
      assert.ok(
        Math.abs(f.capturedAt - f.at) < 2000,
        `capture time ${f.capturedAt} is about when it arrived (${f.at})`,
      );
      assert.ok(!Number.isInteger(f.capturedAt) || f.capturedAt > 1e12, 'ms since the epoch');
    }
    assert.ok(v.frames[1]!.seq > first!.seq && v.frames[2]!.seq > v.frames[1]!.seq, 'sequence numbers increase');
    const picture = decodeJpeg(first!.jpeg);
    assert.equal(picture.width, 320);
    assert.equal(picture.height, 240);
    v.close();
    await v.closed;
  });

  it('a viewer of an online camera gets no status, and the frame the camera has at once', async () => {
    // At 0.5 fps the next capture is 2 s away: a frame within 1 s can only be the one already there.
    const warm = await V1Client.open(url('', 'slow'), { autoAck: true });
    await warm.waitFrames(1, 10_000);
    const v = await V1Client.open(url('', 'slow'), { autoAck: false });
    const [f] = await v.waitFrames(1, 1000);
    assert.equal(f!.seq, warm.frames[0]!.seq);
    assert.equal(warm.frames.length, 1, 'no newer frame came meanwhile');
    assert.deepEqual(
      v.texts.map((m) => m.type),
      ['hello'],
    );
    warm.close();
    v.close();
  });

  it('never sends more than `window` unacknowledged frames; an ack brings the newest frame', async () => {
    const v = await V1Client.open(url(), { autoAck: false });
    await v.waitFrames(2);
    await sleep(1000); // 30 more frames published meanwhile
    assert.equal(v.frames.length, 2, 'nothing beyond the window without acks');
    const last = v.ackLast();
    await v.waitFrames(3, 2000);
    const next = v.frames[2]!;
    assert.ok(
      next.seq > last + 1,
      `the frame after the ack (${next.seq}) is the newest, not ${last + 1}: frames were skipped`,
    );
    const stats = (await apiViewers()).find((s) => s.framesSent >= 3 && s.framesDropped > 0);
    assert.ok(stats, 'skipped frames are counted as dropped');
    v.close();
  });

  it('honours ?window=1..8', async () => {
    const windows = [1, 2, 3, 4, 5, 6, 7, 8];
    const viewers = await Promise.all(windows.map((w) => V1Client.open(url(`?window=${w}`), { autoAck: false })));
    await Promise.all(viewers.map((v, i) => v.waitFrames(windows[i]!)));
    await sleep(1000);
    for (const [i, v] of viewers.entries()) {
      assert.equal(v.texts[0]!.window, windows[i]);
      assert.equal(v.frames.length, windows[i], `window ${windows[i]}`);
    }
    for (const v of viewers) v.close();
  });

  it('rejects bad query parameters and unknown cameras before the upgrade', async () => {
    for (const query of ['?window=0', '?window=9', '?window=abc', '?window=1.5', '?ack=2']) {
      const { status, body } = await rejectedUpgrade(url(query));
      assert.equal(status, 400, query);
      assert.equal(body.statusCode, 400);
      assert.equal(typeof body.message, 'string');
    }
    const missing = await rejectedUpgrade(url('', 'nope'));
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { statusCode: 404, error: 'Not Found', message: 'no camera "nope"' });
    assert.equal((await rejectedUpgrade(url('', 'Bad.Id'))).status, 400);
    const plain = await fetch(`${ts.url}/api/cameras/cam/ws`);
    assert.equal(plain.status, 426, 'a GET without the upgrade: Upgrade Required');
    assert.equal(((await plain.json()) as { statusCode: number }).statusCode, 426);
  });

  it('with ?ack=0 sends continuously without acks', async () => {
    const v = await V1Client.open(url('?ack=0'), { autoAck: false });
    await v.waitFrames(1);
    // Against the camera's own frame counter (the seqs), not the clock: 25 of its 45 frames in 1.5 s before.
    const { received, made } = await v.framesMadeWhileReceiving(30);
    assert.ok(received >= made * 0.55, `${received} of the camera's ${made} frames without a single ack`);
    v.close();
  });

  it('pause stops frames; resume makes them flow again', async () => {
    const v = await V1Client.open(url(), { autoAck: true });
    try {
      await v.waitFrames(5);
      v.send({ type: 'pause' });
      await sleep(300); // what was on the wire arrives
      const paused = v.frames.length;
      await sleep(1000);
      assert.equal(v.frames.length, paused, 'no frame while paused');
      v.send({ type: 'resume' });
      const { received, made } = await v.framesMadeWhileReceiving(15);
      assert.ok(received >= made * 0.5, `${received} of the camera's ${made} frames after resume`);
    } finally {
      v.close();
    }
  });

  it('resume sends the frame the camera has at once, not the next capture', async () => {
    // At 0.5 fps the next capture is 2 s away. A second viewer sees the capture the paused one
    // misses; at resume, that frame is the paused viewer's next.
    const observer = await V1Client.open(url('', 'slow'), { autoAck: true });
    const v = await V1Client.open(url('', 'slow'), { autoAck: true });
    try {
      await Promise.all([observer.waitFrames(1), v.waitFrames(1)]);
      v.send({ type: 'pause' });
      await sleep(100); // the pause is read long before the next capture can come
      const before = v.frames.length;
      const seen = observer.frames.length;
      const missed = (await observer.waitFrames(seen + 1))[seen]!;
      assert.equal(v.frames.length, before, 'no frame while paused');
      v.send({ type: 'resume' });
      const next = (await v.waitFrames(before + 1))[before]!;
      assert.equal(next.seq, missed.seq, 'the frame the camera had, not the next capture');
    } finally {
      observer.close();
      v.close();
    }
  });

  it('answers ping with pong: t echoed, server time', async () => {
    const v = await V1Client.open(url(), { autoAck: true });
    const before = preciseNow();
    v.send({ type: 'ping', t: 12345.678 });
    const pong = await v.waitText('pong');
    const afterPong = preciseNow();
    assert.equal(pong.t, 12345.678);
    assert.equal(typeof pong.server, 'number');
    assert.ok(
      (pong.server as number) >= before && (pong.server as number) <= afterPong,
      'server time taken while answering',
    );
    v.close();
  });

  it('reports per-viewer statistics in the API (per camera in the metrics), and forgets the viewer when it leaves', async () => {
    // Viewers an earlier test left open are not this one.
    const others = new Set((await apiViewers()).map((s) => s.id));
    const v = await V1Client.open(url(), { autoAck: true });
    await v.waitFrames(10);
    const mine = await waitFor(
      async () => (await apiViewers()).find((s) => !others.has(s.id) && s.rttMs !== undefined && s.framesSent >= 10),
      5000,
      'the viewer in the API',
    );
    assert.match(mine.id, /^ws-/);
    assert.equal(mine.protocol, 'ws-v1');
    assert.equal(mine.remoteAddress, '127.0.0.1');
    assert.ok(mine.connectedAt <= Date.now() && mine.connectedAt > Date.now() - 60_000);
    assert.ok(mine.bytesSent >= mine.framesSent * 16 + 1000 * mine.framesSent, 'bytes include the JPEGs');
    assert.ok(mine.rttMs! >= 0 && mine.rttMs! < 1000, `rtt ${mine.rttMs} ms on loopback`);
    const metrics = await (await fetch(`${ts.url}/metrics`)).text();
    assert.match(metrics, /^camrelay_viewer_frames_sent_total\{camera="cam",protocol="ws-v1"\} [1-9]/m);
    assert.ok(!metrics.includes(mine.id), 'no series per viewer');
    v.close();
    await v.closed;
    await waitFor(async () => !(await apiViewers()).some((s) => s.id === mine.id), 10_000, 'the viewer to be gone');
  });

  it('echoes a client close: with its code, or without one', async () => {
    for (const code of [1000, 4001, undefined]) {
      const v = await V1Client.open(url(), { autoAck: true });
      await v.waitFrames(1);
      v.ws.close(code);
      const closed = await v.waitClosed();
      assert.equal(closed.code, code ?? 1005, `client closed with ${code}`);
    }
  });

  it('closes viewers with 1001 when the server shuts down', async () => {
    const own = await startServer(['cam=testsrc?size=160x120&fps=10']);
    const v = await V1Client.open(wsUrl(own.url, 'cam'), { autoAck: true });
    await v.waitFrames(1);
    await own.close();
    const closed = await v.waitClosed();
    assert.equal(closed.code, 1001);
  });
});
