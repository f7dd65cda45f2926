/** Offline cameras: status messages, and the NO SIGNAL placeholder flowing like any frame. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJpeg, ffmpegChildren, startServer, type TestServer } from '../../support/index.js';
import { V1Client, wsUrl } from '../../support/v1-client.js';

let ts: TestServer;

describe('WebSocket viewer protocol v1: offline cameras', () => {
  before(async () => {
    ts = await startServer(['live=testsrc?size=320x240&fps=30', 'dead=rtsp://127.0.0.1:1/none']);
  });
  after(async () => {
    await ts.close();
  });

  it('a camera that cannot be reached: status online:false, then placeholder frames', async () => {
    const v = await V1Client.open(wsUrl(ts.url, 'dead'), { autoAck: true });
    const hello = await v.waitText('hello');
    assert.equal(hello.width, 0, 'size not known yet');
    assert.equal(hello.height, 0);
    assert.equal(v.texts[1]?.type, 'status', 'status right after hello');
    assert.equal(v.texts[1]?.online, false);
    await v.waitFrames(3, 15_000);
    const [a, b, c] = v.frames;
    assert.ok(b!.seq > a!.seq && c!.seq > b!.seq);
    const picture = decodeJpeg(c!.jpeg);
    assert.ok(picture.width > 0 && picture.height > 0, 'a decodable picture');
    const status = v.texts.filter((m) => m.type === 'status');
    assert.ok(
      status.every((m) => m.online === false),
      'never online',
    );
    const since = status.at(-1)!.since as number;
    assert.ok(since > Date.now() - 60_000 && since <= Date.now(), `since ${since} is a recent epoch time in ms`);
    v.close();
  });

  it('a camera whose source dies: online:false with since and reason, placeholders, then online:true again', async () => {
    const v = await V1Client.open(wsUrl(ts.url, 'live'), { autoAck: true });
    await v.waitFrames(5, 10_000);
    const pids = ffmpegChildren();
    assert.ok(pids.length > 0, 'the camera runs an ffmpeg');
    const killedAt = Date.now();
    const textsBefore = v.texts.length;
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    const offline = await v.waitText('status', 10_000, (m) => m.online === false, textsBefore);
    assert.ok((offline.since as number) >= killedAt - 1000, 'since: when it went offline');
    assert.equal(typeof offline.reason, 'string');
    const atOffline = v.frames.length;
    const online = await v.waitText('status', 20_000, (m) => m.online === true, textsBefore);
    assert.ok(v.frames.length > atOffline, 'frames (placeholders) kept coming while offline');
    assert.ok((online.since as number) >= (offline.since as number));
    const back = v.frames.length;
    await v.waitFrames(back + 10, 5000);
    v.close();
  });
});
