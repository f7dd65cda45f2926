// test lane: waiting (an object crossing a clip played in real time, an event's quiet period and post-roll)
/**
 * `camrelay publish` running the motion detector, as real processes: an edge publishing a clip with an
 * object crossing to a hub that records the edge's cameras around events. The hub lists the edge's event
 * as its own, with the snapshot the edge took (a JPEG over the publisher connection; also on the hub's
 * MQTT snapshot topic, at a real Mosquitto), and its clip starts
 * before the event did: the hub started the camera with `from`, and the edge sent what it kept of the
 * camera from before the event (its pre-roll buffer), then live.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { connect, type MqttClient } from 'mqtt';
import { readJpegSize } from '../../src/codec/jpeg.js';
import { hashToken } from '../../src/security/secrets.js';
import { ensureMotionClips, type MotionClip } from '../support/motion-clips.js';
import { CamrelayProcess, ffprobeErrors, ffprobeInfo, freePort, Mosquitto, waitFor } from '../support/index.js';

const run = promisify(execFile);
const TOKEN = 'shed-token-0123456789abcdef';

interface Listed {
  events: {
    id: number;
    camera: string;
    start: number;
    end: number | null;
    snapshot: string | null;
    clip: string | null;
  }[];
}

describe('camrelay publish with motion, to a hub recording around events', () => {
  let dir: string;
  let clip: MotionClip;
  let hub: CamrelayProcess;
  let edge: CamrelayProcess;
  let hubUrl: string;
  let broker: Mosquitto;
  let sub: MqttClient;
  const snapshots: Buffer[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-publish-events-'));
    [clip] = (await ensureMotionClips(['object-large'])) as [MotionClip];
    broker = await Mosquitto.start();
    sub = connect(broker.url);
    sub.on('message', (_topic, payload) => snapshots.push(payload));
    await new Promise<void>((resolve) => sub.once('connect', () => resolve()));
    await sub.subscribeAsync('camrelay/shed.yard/snapshot');
    const port = await freePort();
    writeFileSync(
      join(dir, 'hub.yaml'),
      `log: { level: info }\nrecordings: { path: ${join(dir, 'store')} }\n` +
        `mqtt: { url: "${broker.url}" }\n` +
        `publishers:\n  - { name: shed, token_hash: "${hashToken(TOKEN)}", record: { mode: events } }\n`,
    );
    hub = CamrelayProcess.spawn(['serve', '--config', join(dir, 'hub.yaml'), '--port', String(port)]);
    hubUrl = (await hub.waitListening()).replace(/\/$/, '');
    writeFileSync(
      join(dir, 'edge.yaml'),
      `log: { level: info }\npublish: { hub: "ws://127.0.0.1:${port}", name: shed, token: ${TOKEN} }\n` +
        `cameras:\n  - { id: yard, source: "file:${clip.path}", motion: { min_duration: 0.3, end_after: 1 } }\n`,
    );
    edge = CamrelayProcess.spawn(['publish', '--config', join(dir, 'edge.yaml')]);
  });
  after(async () => {
    await Promise.all([edge?.stop(), hub?.stop()]);
    await sub?.endAsync(true);
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("raises the edge's event on the hub with its snapshot, and a clip from before its start", async () => {
    const events = async (): Promise<Listed['events']> =>
      ((await (await fetch(`${hubUrl}/api/events`)).json()) as Listed).events;
    // The box crosses from 4 s into the clip, played from the edge's start.
    const ended = await waitFor(
      async () => (await events()).find((e) => e.camera === 'shed.yard' && e.end !== null),
      30_000,
      `the edge's event, ended, on the hub (edge: ${edge.stderr.slice(-300)})`,
    );
    assert.ok(
      edge.logs.some((l) => l.msg === "keeping a pre-roll for the hub's events"),
      'the hub asked the edge for a pre-roll',
    );
    const started = edge.logs.find((l) => l.msg === 'hub started the camera');
    assert.equal(typeof started?.from, 'number', 'the hub started the camera from before the event');
    assert.ok((started!.bufferedMs as number) > 1000, 'with seconds of video buffered');

    // The snapshot the edge took, over the publisher connection.
    const shot = await waitFor(
      async () => {
        const res = await fetch(`${hubUrl}/api/events/${ended.id}/snapshot.jpg`);
        return res.ok ? Buffer.from(await res.arrayBuffer()) : undefined;
      },
      5000,
      'the snapshot',
    );
    assert.deepEqual(readJpegSize(shot), { width: 320, height: 240 });
    await waitFor(() => snapshots.some((s) => s.equals(shot)), 5000, "the snapshot on the hub's MQTT topic");

    // The clip (still growing while the post-roll is recorded: it starts where it starts).
    const file = join(dir, 'clip.mp4');
    const startMs = await waitFor(
      async () => {
        const res = await fetch(`${hubUrl}/api/events/${ended.id}/clip.mp4`);
        if (!res.ok) return undefined;
        writeFileSync(file, Buffer.from(await res.arrayBuffer()));
        return Number(res.headers.get('x-recording-start'));
      },
      10_000,
      'the clip',
    );
    assert.equal(await ffprobeErrors(file), '');
    // The buffered pictures kept their times: the clip plays at the camera's 10 fps, not squeezed.
    const info = await ffprobeInfo(file);
    assert.ok(info.startsWithKeyframe);
    const fps = info.frames / info.duration;
    assert.ok(fps > 8 && fps < 12, `${info.frames} frames in ${info.duration} s`);
    const { stdout } = await run('ffprobe', [
      ...['-v', 'error', '-of', 'json', '-show_entries', 'format_tags=creation_time:stream=codec_name'],
      file,
    ]);
    const probed = JSON.parse(stdout) as {
      format: { tags: { creation_time: string } };
      streams: { codec_name: string }[];
    };
    assert.equal(probed.streams[0]!.codec_name, 'h264');
    // The first frame's time (ffprobe has it to the second): before the event's start, by the edge's pre-roll.
    const firstFrame = Date.parse(probed.format.tags.creation_time);
    assert.ok(Math.abs(firstFrame - Math.floor(startMs / 1000) * 1000) < 1000, 'ffprobe and the header agree');
    const preRollMs = ended.start - startMs;
    console.log(`# pre-roll from the edge's buffer: ${preRollMs} ms before the event's start`);
    assert.ok(firstFrame < ended.start, "ffprobe: the clip's first frame is before the event's start");
    // Live video would reach the hub after the event began: this much before it came from the edge's buffer
    // (5 s asked; less when the buffer began less than that before the event, as here for a slow start).
    assert.ok(preRollMs >= 500, `pre-roll ${preRollMs} ms`);
  });
});
