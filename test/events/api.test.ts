// test lane: waiting (a broker restart and events' quiet periods: mostly waits on real time)
/**
 * Events through a real server, from a hand-driven detector: the API (list, one event, snapshot,
 * clip with Range) and its permissions, the live feed (SSE), a real Mosquitto subscribed with
 * mqtt.js and mosquitto_sub (Home Assistant discovery, motion ON/OFF, events, snapshots, the broker
 * stopped and started again mid-test), a real HTTP receiver for signed webhooks, and a camera
 * recorded only around events.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type MqttClient } from 'mqtt';
import { hashToken, newToken } from '../../src/security/secrets.js';
import { signature } from '../../src/notify/index.js';
import { HandObservations, Mosquitto, startServer, waitFor, type TestServer } from '../support/index.js';
import { makeH264Clip } from '../recording/helpers.js';

const ADMIN = newToken();
const VIEWER_A = newToken();
const SECRET = 'a-webhook-secret-of-some-length';

interface Hook {
  headers: IncomingMessage['headers'];
  body: string;
}
interface Sse {
  events: { type: string; data: { id: number; camera: string; end: number | null } }[];
  close(): void;
}

/** Reads a live feed into a list as it comes. */
async function live(url: string, token: string): Promise<Sse> {
  const ac = new AbortController();
  const res = await fetch(`${url}/api/events/live?token=${token}`, { signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const out: Sse = { events: [], close: () => ac.abort() };
  void (async () => {
    let text = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        let cut;
        while ((cut = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, cut);
          text = text.slice(cut + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type && data) out.events.push({ type, data: JSON.parse(data) as Sse['events'][0]['data'] });
        }
      }
    } catch {
      // aborted
    }
  })();
  return out;
}

describe('events: API, live feed, MQTT and webhooks', () => {
  let dir: string;
  let broker: Mosquitto;
  let t: TestServer;
  let sub: MqttClient;
  const messages: { topic: string; payload: Buffer; retain: boolean }[] = [];
  const hooks: Hook[] = [];
  let receiver: HttpServer;
  const source = new HandObservations();
  const get = (path: string, token = ADMIN, headers: Record<string, string> = {}) =>
    fetch(`${t.url}${path}${path.includes('?') ? '&' : '?'}token=${token}`, { headers });
  const topic = (name: string) => messages.filter((m) => m.topic === name);
  /** An event on `camera`: motion seen for `ms` up to now (started at once), then none. */
  const motion = (camera: string, ms = 800, score = 0.3) => {
    const now = Date.now();
    source.push(camera, true, { at: now - ms, score, zones: ['path'] });
    source.push(camera, true, { at: now, score });
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-events-api-'));
    makeH264Clip(join(dir, 'clip.mp4'), { seconds: 8, gop: 12 });
    broker = await Mosquitto.start();
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push({ headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hookPort = (receiver.address() as { port: number }).port;
    const config = join(dir, 'camrelay.yaml');
    const motionKeys = 'min_duration: 0.5, end_after: 1, pre_roll: 2, post_roll: 1, fps: 1';
    writeFileSync(
      config,
      `log: { level: warn }
auth:
  tokens:
    - { name: admin, role: admin, token_hash: "${hashToken(ADMIN)}" }
    - { name: viewer-a, role: viewer, cameras: [a], token_hash: "${hashToken(VIEWER_A)}" }
recordings: { path: ${join(dir, 'store')} }
mqtt: { url: "${broker.url}", topic_prefix: camrelay, discovery: true }
webhooks:
  - { url: "http://127.0.0.1:${hookPort}/hook", events: [start, end], cameras: [a], secret: ${SECRET} }
cameras:
  - { id: a, name: Front door, source: "file:${join(dir, 'clip.mp4')}", record: true, motion: { ${motionKeys} } }
  - { id: b, source: "file:${join(dir, 'clip.mp4')}", motion: { ${motionKeys} } }
  - { id: c, source: "file:${join(dir, 'clip.mp4')}", record: { mode: events }, motion: { ${motionKeys} } }
`,
    );
    sub = connect(broker.url, { reconnectPeriod: 300 });
    sub.on('message', (topic, payload, packet) => messages.push({ topic, payload, retain: packet.retain }));
    await new Promise<void>((resolve) => sub.once('connect', () => resolve()));
    await sub.subscribeAsync(['camrelay/#', 'homeassistant/#']);
    t = await startServer([], config, { observations: source });
  });

  after(async () => {
    await t?.close();
    await sub?.endAsync(true);
    receiver?.close();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('announces itself and every camera with motion to Home Assistant, retained', async () => {
    await waitFor(() => topic('camrelay/available').some((m) => m.payload.toString() === 'online'), 10_000, 'online');
    const config = await waitFor(
      () => topic('homeassistant/binary_sensor/camrelay/a_motion/config')[0],
      5000,
      "a's binary sensor",
    );
    assert.equal(config.retain, false, 'a live message to a subscriber that was there already');
    const sensor = JSON.parse(config.payload.toString()) as Record<string, unknown>;
    assert.equal(sensor.device_class, 'motion');
    assert.equal(sensor.state_topic, 'camrelay/a/motion');
    assert.equal(sensor.availability_topic, 'camrelay/available');
    assert.equal(sensor.unique_id, 'camrelay_a_motion');
    assert.deepEqual((sensor.device as { name: string; identifiers: string[] }).identifiers, ['camrelay_a']);
    assert.equal((sensor.device as { name: string }).name, 'Front door');
    const camera = JSON.parse(topic('homeassistant/camera/camrelay/a_snapshot/config')[0]!.payload.toString()) as {
      topic: string;
    };
    assert.equal(camera.topic, 'camrelay/a/snapshot');
    assert.ok(topic('homeassistant/binary_sensor/camrelay/b_motion/config').length, "b's too");
    assert.equal(topic('camrelay/a/motion').at(-1)?.payload.toString(), 'OFF');
    // A subscriber that comes later gets them retained (mosquitto_sub, another client).
    const late = spawn('mosquitto_sub', ['-p', String(broker.port), '-t', 'homeassistant/#', '-v', '-W', '3']);
    let text = '';
    late.stdout.on('data', (c: Buffer) => (text += c.toString()));
    await waitFor(
      () => text.includes('homeassistant/binary_sensor/camrelay/c_motion/config'),
      5000,
      'retained configs',
    );
    late.kill();
    // Home Assistant restarting asks for them again.
    const before = topic('homeassistant/binary_sensor/camrelay/a_motion/config').length;
    await sub.publishAsync('homeassistant/status', 'online');
    await waitFor(
      () => topic('homeassistant/binary_sensor/camrelay/a_motion/config').length > before,
      5000,
      'discovery sent again',
    );
  });

  let first: number;
  it('raises an event: MQTT ON, the event, its snapshot; the live feed by permission; a signed webhook', async () => {
    const admin = await live(t.url, ADMIN);
    const viewer = await live(t.url, VIEWER_A);
    const sensor = spawn('mosquitto_sub', ['-p', String(broker.port), '-t', 'camrelay/a/motion', '-C', '2']);
    let states = '';
    sensor.stdout.on('data', (c: Buffer) => (states += c.toString()));
    await waitFor(() => states.includes('OFF'), 5000, 'the retained OFF');
    // a has recorded a few seconds (its clip has a pre-roll to show).
    await waitFor(
      async () => {
        const res = await get(`/api/cameras/a/recordings?start=${Date.now() - 60_000}&end=${Date.now()}`);
        const body = res.status === 200 ? ((await res.json()) as { ranges: { start: number }[] }) : undefined;
        return body && body.ranges[0] && body.ranges[0].start < Date.now() - 3000;
      },
      15_000,
      'three seconds of a recorded',
    );
    motion('a');
    motion('b');
    await waitFor(() => states.includes('ON'), 5000, 'ON at mosquitto_sub');
    const start = await waitFor(
      () =>
        topic('camrelay/events')
          .map((m) => JSON.parse(m.payload.toString()) as { type: string; event: { id: number; camera: string } })
          .find((m) => m.type === 'start' && m.event.camera === 'a'),
      5000,
      'the start event',
    );
    first = start.event.id;
    assert.equal(topic('camrelay/a/motion').at(-1)?.payload.toString(), 'ON');
    assert.equal(topic('camrelay/a/motion').at(-1)?.retain, false);
    const jpeg = await waitFor(() => topic('camrelay/a/snapshot')[0], 10_000, 'the snapshot');
    assert.equal(jpeg.payload[0], 0xff);
    assert.equal(jpeg.payload[1], 0xd8);
    // The event ends end_after (1 s) after its last motion.
    await waitFor(() => topic('camrelay/a/motion').at(-1)?.payload.toString() === 'OFF', 5000, 'OFF');
    await waitFor(() => admin.events.filter((e) => e.type === 'end').length >= 2, 5000, 'both ends, live');
    assert.ok(
      admin.events.some((e) => e.data.camera === 'b'),
      'the admin sees b',
    );
    assert.ok(viewer.events.some((e) => e.type === 'start' && e.data.camera === 'a'));
    assert.ok(!viewer.events.some((e) => e.data.camera === 'b'), "a viewer of a never hears of b's events");
    admin.close();
    viewer.close();
    // The webhook: start and end of a only, each signed.
    await waitFor(() => hooks.length >= 2, 5000, 'two webhooks');
    assert.deepEqual(
      hooks.map((h) => h.headers['x-camrelay-event']),
      ['start', 'end'],
    );
    for (const h of hooks) {
      assert.equal(h.headers['x-camrelay-signature'], signature(SECRET, h.body));
      const body = JSON.parse(h.body) as { event: { camera: string; id: number } };
      assert.equal(body.event.camera, 'a');
      assert.equal(body.event.id, first);
    }
  });

  it('lists, shows and serves events by permission; bad requests are 400s', async () => {
    const list = (await (await get('/api/events')).json()) as {
      events: { id: number; camera: string; start: number; end: number; snapshot: string; clip: string | null }[];
    };
    assert.ok(list.events.length >= 2);
    assert.ok(
      list.events.every((e, i) => i === 0 || e.start <= list.events[i - 1]!.start),
      'newest first',
    );
    const a = list.events.find((e) => e.id === first)!;
    assert.equal(a.clip, `/api/events/${first}/clip.mp4`);
    assert.equal(list.events.find((e) => e.camera === 'b')!.clip, null, 'b is not recorded');
    const mine = (await (await get('/api/events', VIEWER_A)).json()) as { events: { camera: string }[] };
    assert.ok(mine.events.length >= 1 && mine.events.every((e) => e.camera === 'a'));
    const bId = list.events.find((e) => e.camera === 'b')!.id;
    assert.equal((await get(`/api/events/${bId}`, VIEWER_A)).status, 404);
    assert.equal((await get('/api/events?camera=b', VIEWER_A)).status, 403);
    assert.equal((await get(`/api/events/${first}`, VIEWER_A)).status, 200);
    for (const bad of ['/api/events?limit=0', '/api/events?start=yesterday', '/api/events?camera=A!', '/api/events/x1'])
      assert.equal((await get(bad)).status, 400, bad);
    assert.equal((await get('/api/events?start=2000&end=1000')).status, 400);
    assert.equal((await get('/api/events/999999')).status, 404);
    const snap = await get(`/api/events/${first}/snapshot.jpg`, VIEWER_A);
    assert.equal(snap.status, 200);
    assert.equal(snap.headers.get('content-type'), 'image/jpeg');
    // Clips are recordings: not for a viewer without that permission.
    assert.equal((await get(`/api/events/${first}/clip.mp4`, VIEWER_A)).status, 403);
    const clip = await get(`/api/events/${first}/clip.mp4`);
    assert.equal(clip.status, 200);
    assert.equal(clip.headers.get('content-type'), 'video/mp4');
    const startMs = Number(clip.headers.get('x-recording-start'));
    assert.ok(startMs <= a.start, 'the clip starts at or before the event (pre-roll)');
    const size = (await clip.arrayBuffer()).byteLength;
    const part = await get(`/api/events/${first}/clip.mp4`, ADMIN, { range: 'bytes=0-99' });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 0-99/${size}`);
    const metrics = await (await get('/metrics')).text();
    assert.match(metrics, /camrelay_events_started_total\{camera="a"\} [1-9]/);
    assert.match(metrics, /camrelay_mqtt_connected 1/);
    assert.match(metrics, /camrelay_recording_preroll_bytes\{camera="c"\} [1-9]/);
  });

  it('records a camera with record: {mode: events} only around its events, from its pre-roll', async () => {
    const segments = async () =>
      (await get(`/api/cameras/c/recordings?start=${Date.now() - 600_000}&end=${Date.now() + 1000}`)).status;
    assert.equal(await segments(), 404, 'nothing recorded before an event');
    const at = Date.now();
    motion('c', 600);
    const ranges = await waitFor(
      async () => {
        const res = await get(`/api/cameras/c/recordings?start=${at - 60_000}&end=${Date.now() + 1000}`);
        if (res.status !== 200) return undefined;
        const body = (await res.json()) as { ranges: { start: number; end: number }[] };
        return body.ranges.length && body.ranges[0]!.end > at ? body.ranges : undefined;
      },
      10_000,
      'the event recorded',
    );
    // The pre-roll (2 s, whole GOPs of 0.5 s) before the motion began (600 ms before `at`).
    const preRoll = at - 600 - ranges[0]!.start;
    assert.ok(preRoll >= 1900 && preRoll <= 3500, `pre-roll ${preRoll} ms`);
  });

  it('keeps events while the broker is down, and tells them once it is back', async () => {
    await broker.stop();
    await waitFor(async () => /camrelay_mqtt_connected 0/.test(await (await get('/metrics')).text()), 5000, 'down');
    const before = messages.length;
    motion('a');
    // The server answers as before.
    assert.equal((await get('/api/events?limit=1')).status, 200);
    const id = await waitFor(
      async () => {
        const body = (await (await get('/api/events?camera=a&limit=1')).json()) as {
          events: { id: number; end: number | null }[];
        };
        return body.events[0]!.id !== first && body.events[0]!.end !== null ? body.events[0]!.id : undefined;
      },
      5000,
      'the event while down, ended',
    );
    await broker.resume();
    const told = await waitFor(
      () => {
        const types = messages
          .slice(before)
          .filter((m) => m.topic === 'camrelay/events')
          .map((m) => JSON.parse(m.payload.toString()) as { type: string; event: { id: number } })
          .filter((m) => m.event.id === id)
          .map((m) => m.type);
        return types.includes('end') ? types : undefined;
      },
      20_000,
      'the queued event told after the restart',
    );
    assert.equal(told[0], 'start', 'in order');
    assert.equal(told.at(-1), 'end');
    await waitFor(() => messages.slice(before).some((m) => m.topic === 'camrelay/available'), 5000, 'online again');
  });
});
