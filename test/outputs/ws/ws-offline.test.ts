/** Offline cameras: status messages, and the NO SIGNAL placeholder flowing like any frame. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  cameraFrames,
  decodeJpeg,
  ffmpegChildren,
  findFfmpegFor,
  startServer,
  waitFor,
  type TestServer,
} from '../../support/index.js';
import { V1Client, wsUrl } from '../../support/v1-client.js';
import { FLAG_KEYFRAME } from '../../../src/wire/constants.js';
import { decodeHeader } from '../../../src/wire/header.js';

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

  it('an H.264 viewer behind on acks gets nothing made before the outage after its offline status', async () => {
    // Without acks the window fills and units wait in the viewer's queue when the camera dies.
    const v = await V1Client.open(wsUrl(ts.url, 'live', '?codec=h264'), { autoAck: false });
    /** What arrived, in order: units and status messages. */
    const order: ({ unit: true; keyframe: boolean } | { unit: false; online: boolean })[] = [];
    v.ws.on('message', (data, isBinary) => {
      const buf = Buffer.from(data as Buffer);
      if (isBinary) order.push({ unit: true, keyframe: (decodeHeader(buf).flags & FLAG_KEYFRAME) !== 0 });
      else {
        const message = JSON.parse(buf.toString()) as { type: string; online?: boolean };
        if (message.type === 'status') order.push({ unit: false, online: message.online === true });
      }
    });
    try {
      await v.waitFrames(1, 20_000);
      // Units keep coming from the encoder and queue behind the unacked window.
      const at = cameraFrames(ts, 'live');
      await waitFor(
        () => cameraFrames(ts, 'live') >= at + 5,
        10_000,
        'five more frames made while the viewer does not ack',
      );
      const textsBefore = v.texts.length;
      process.kill(findFfmpegFor('testsrc2=size=320x240:rate=30', ffmpegChildren()), 'SIGKILL');
      await v.waitText('status', 10_000, (m) => m.online === false, textsBefore);
      // Acks open the window: whatever still waited would go out now.
      v.autoAck = true;
      v.ackLast();
      await v.waitText('status', 20_000, (m) => m.online === true, textsBefore);
      await waitFor(() => order.at(-1)?.unit === true, 10_000, 'a unit after the camera is back');
      const offlineAt = order.findIndex((m) => !m.unit && !m.online);
      const onlineAt = order.findIndex((m, i) => i > offlineAt && !m.unit && m.online);
      const between = order.slice(offlineAt + 1, onlineAt);
      assert.deepEqual(between, [], 'no unit between the offline and the online status');
      assert.deepEqual(order[onlineAt + 1], { unit: true, keyframe: true }, 'back at a keyframe');
    } finally {
      v.close();
    }
  });
});
