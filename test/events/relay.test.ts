// test lane: waiting (events' quiet periods and an edge's connection: mostly waits on real time)
/**
 * Events across the relay: an edge with motion tells its hub of its events over the publisher
 * connection (no video), and the hub raises them as its own (its API, with its own ids); a hub
 * recording the edge's camera around events asks for its video only from the event on, starting with
 * what the edge kept from before it (its pre-roll buffer); an event from a hand-driven edge for a camera
 * it did not announce is ignored, a malformed one closes it; an edge's snapshot of its event is the hub
 * event's, and snapshots and buffered frames are checked as untrusted input.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashToken } from '../../src/security/secrets.js';
import { type HubMessage } from '../../src/relay/messages.js';
import { encodeRelayFrame, encodeRelaySnapshot } from '../../src/relay/frames.js';
import { toAvc } from '../../src/codec/h264/nal.js';
import { encodedTrack } from '../codec/fixtures.js';
import { ffmpegJpeg, HandObservations, startServer, waitFor, type TestServer } from '../support/index.js';
import { publisher, RawEdge, TOKEN_A, TOKEN_B } from '../relay/helpers.js';

const TOKEN_C = 'edge-c-token-0123456789abcdef';

interface Listed {
  events: { id: number; camera: string; start: number; end: number | null; score: number; zones: string[] }[];
}

describe('events across the relay', () => {
  let dir: string;
  let hub: TestServer;
  let edge: TestServer;
  const source = new HandObservations();
  const events = async (): Promise<Listed['events']> =>
    ((await (await fetch(`${hub.url}/api/events`)).json()) as Listed).events;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-events-relay-'));
    writeFileSync(
      join(dir, 'hub.yaml'),
      `log: { level: warn }\nrecordings: { path: ${join(dir, 'hub-store')} }\n` +
        `publishers:\n  - { name: shed, token_hash: "${hashToken(TOKEN_A)}", record: { mode: events } }\n` +
        `  - { name: raw, token_hash: "${hashToken(TOKEN_B)}" }\n` +
        `  - { name: hand, token_hash: "${hashToken(TOKEN_C)}", record: { mode: events } }\n`,
    );
    hub = await startServer([], join(dir, 'hub.yaml'));
    writeFileSync(
      join(dir, 'edge.yaml'),
      `log: { level: warn }\nrecordings: { path: ${join(dir, 'edge-store')} }\n` +
        `publish: { hub: "${hub.url.replace(/^http/, 'ws')}", name: shed, token: ${TOKEN_A} }\n` +
        `cameras:\n  - { id: yard, source: "testsrc?size=160x120&fps=5", motion: { min_duration: 0.5, end_after: 1, fps: 1 } }\n`,
    );
    edge = await startServer([], join(dir, 'edge.yaml'), { observations: source });
  });
  after(async () => {
    await edge?.close();
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("raises an edge's event on the hub as its own, from start to end", async () => {
    await waitFor(
      async () =>
        ((await (await fetch(`${hub.url}/api/cameras`)).json()) as { cameras: { id: string }[] }).cameras.length,
      15_000,
      "the edge's camera on the hub",
    );
    // Recorded around events: nothing goes over the uplink before one (the edge keeps a pre-roll meanwhile:
    // its H.264, encoded from this JPEG camera, for a keyframe a second at 5 fps; 2.5 s of it before the event).
    await new Promise((r) => setTimeout(r, 1500));
    const h264 = () =>
      edge.server.registry
        .get('yard')!
        .trackInfo({ cpu: false })
        .find((t) => t.codec === 'h264' && t.quality === 'main');
    await waitFor(() => ((h264()?.units ?? 0) >= 13 ? true : undefined), 15_000, "the edge's H.264 for its pre-roll");
    const idle = (await publisher(hub.url, 'shed')).cameras.find((c) => c.id === 'shed.yard')!;
    assert.equal(idle.framesReceived, 0, 'no video before an event');
    const now = Date.now();
    source.push('yard', true, { at: now - 800, score: 0.4, zones: ['lawn'] });
    source.push('yard', true, { at: now, score: 0.4 });
    const started = await waitFor(
      async () => (await events()).find((e) => e.camera === 'shed.yard'),
      5000,
      'the event on the hub',
    );
    assert.equal(started.end, null);
    assert.ok(Math.abs(started.start - (now - 800)) < 1000, 'at the time the edge saw it begin');
    assert.deepEqual(started.zones, ['lawn']);
    const ended = await waitFor(
      async () => (await events()).find((e) => e.id === started.id && e.end !== null),
      5000,
      'its end on the hub',
    );
    assert.equal(ended.score, 0.4);
    // The event's video, recorded on the hub from the edge's pre-roll before the event on.
    const ranges = await waitFor(
      async () => {
        const res = await fetch(`${hub.url}/api/cameras/shed.yard/recordings?start=${now - 60_000}&end=${Date.now()}`);
        const body = res.ok ? ((await res.json()) as { ranges?: { start: number }[] }) : undefined;
        return body?.ranges?.length ? body.ranges : undefined;
      },
      10_000,
      'the event recorded on the hub',
    );
    assert.ok(
      ranges[0]!.start < started.start - 500,
      `the recording starts before the event did (${started.start - ranges[0]!.start} ms)`,
    );
    const edgeOwn = ((await (await fetch(`${edge.url}/api/events`)).json()) as Listed).events;
    assert.equal(edgeOwn[0]!.camera, 'yard', 'the edge keeps its own');
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    assert.match(metrics, /camrelay_events_started_total\{camera="shed.yard"\} 1/);
  });

  it('records an event that comes while the camera still runs from its current group of pictures', async () => {
    // Past the last event's post-roll (5 s after its end) the recording pauses (a gap 'idle'), and the hub lets
    // the edge's camera go after its idle grace (10 s): an event in between finds it running, so no start and
    // no pre-roll from the edge; its recording begins at the hub's current group of pictures, not at the next
    // keyframe after the event came.
    type Recorded = {
      ranges: { start: number; end: number }[];
      gaps: { start: number; end: number; reason: string }[];
    };
    const recorded = async (): Promise<Recorded> => {
      const url = `${hub.url}/api/cameras/shed.yard/recordings?start=${Date.now() - 120_000}&end=${Date.now()}`;
      return (await (await fetch(url)).json()) as Recorded;
    };
    await waitFor(
      async () => {
        const last = (await recorded()).ranges.at(-1);
        return last && Date.now() - last.end > 1500 ? true : undefined;
      },
      15_000,
      'the recording paused after the post-roll',
    );
    const cameras = (await (await fetch(`${hub.url}/api/cameras`)).json()) as {
      cameras: { id: string; state: string }[];
    };
    assert.equal(cameras.cameras.find((c) => c.id === 'shed.yard')?.state, 'online', 'still running (idle grace)');
    const pushedAt = Date.now();
    source.push('yard', true, { at: pushedAt - 800, score: 0.3 });
    source.push('yard', true, { at: pushedAt, score: 0.3 });
    const idle = await waitFor(
      async () =>
        (await recorded()).gaps.find((g) => g.reason === 'idle' && g.end > pushedAt - 5000 && g.end < Date.now() - 200),
      10_000,
      'the second event recorded after a gap',
    );
    assert.ok(idle.end <= pushedAt, `recording again ${Math.round(idle.end - pushedAt)} ms after the event came`);
  });

  it('ignores an event for a camera the edge did not announce, and closes an edge that sends a bad one', async () => {
    const raw = await RawEdge.open(hub.url, TOKEN_B, 'raw');
    raw.hello('raw');
    await raw.waitMessage((m) => m.type === 'hello', 5000, 'hello');
    raw.announce([{ id: 'cam', channel: 1 }]);
    const event = { type: 'event', change: 'start', id: 7, start: Date.now(), end: null, score: 0.5, zones: [] };
    raw.send({ ...event, camera: 'other' });
    raw.send({ ...event, camera: 'cam' });
    await waitFor(async () => (await events()).find((e) => e.camera === 'raw.cam'), 5000, "raw.cam's event");
    assert.ok(!(await events()).some((e) => e.camera === 'raw.other'));
    raw.send({ ...event, camera: 'cam', score: 7 });
    const closed = await raw.waitClosed(5000);
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /score/);
    // The edge gone, its open event is over.
    await waitFor(async () => (await events()).find((e) => e.camera === 'raw.cam' && e.end !== null), 5000, 'ended');
  });
});

describe('events across the relay: snapshots and pre-roll from hand-driven edges', () => {
  let dir: string;
  let hub: TestServer;
  const jpeg = ffmpegJpeg(320, 240);
  const track = encodedTrack({ width: 160, height: 120, frames: 2, gop: 2, source: 'testsrc' });
  const idr = toAvc(track.aus[0]!.nalus.filter((n) => (n[0]! & 0x1f) !== 9));
  const events = async (): Promise<Listed['events']> =>
    ((await (await fetch(`${hub.url}/api/events`)).json()) as Listed).events;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-events-relay-hand-'));
    writeFileSync(
      join(dir, 'hub.yaml'),
      `log: { level: warn }\nrecordings: { path: ${join(dir, 'hub-store')} }\n` +
        `publishers:\n  - { name: raw, token_hash: "${hashToken(TOKEN_B)}" }\n` +
        `  - { name: hand, token_hash: "${hashToken(TOKEN_C)}", record: { mode: events } }\n`,
    );
    hub = await startServer([], join(dir, 'hub.yaml'));
  });
  after(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A hand-driven edge that said hello (with `events` and `codecs` when given) and announced `cam`. */
  async function edge(name: 'raw' | 'hand', token: string, extra: Record<string, unknown>): Promise<RawEdge> {
    const raw = await RawEdge.open(hub.url, token, name);
    raw.send({ type: 'hello', protocol: 1, role: 'edge', edge: name, ...extra });
    await raw.waitMessage((m) => m.type === 'hello', 5000, 'hello');
    raw.announce([{ id: 'cam', channel: 1, width: 160, height: 120 }]);
    return raw;
  }
  const startEvent = (raw: RawEdge, id: number, start: number) =>
    raw.send({ type: 'event', camera: 'cam', change: 'start', id, start, end: null, score: 0.5, zones: [] });

  it("keeps an older edge's conversation as it was, and takes a snapshot only where negotiated", async () => {
    const old = await edge('raw', TOKEN_B, {});
    const hello = old.received.find((m) => m.type === 'hello') as HubMessage & { events?: unknown };
    assert.equal(hello.events, undefined, 'no events field for an edge that offered none');
    startEvent(old, 3, Date.now());
    await waitFor(async () => (await events()).find((e) => e.camera === 'raw.cam'), 5000, "raw.cam's event");
    old.ws.send(encodeRelaySnapshot(1, Date.now(), 3, jpeg));
    const closed = await old.waitClosed(5000);
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /snapshots were not negotiated/);
  });

  it("stores an edge's snapshot with the hub's event, and closes an edge whose snapshot is too big or no JPEG", async () => {
    const raw = await edge('raw', TOKEN_B, { events: ['snapshot', 'something-newer'] });
    const hello = raw.received.find((m) => m.type === 'hello') as HubMessage & { events?: string[] };
    assert.deepEqual(hello.events, ['snapshot'], 'pre-roll needs an H.264 uplink');
    startEvent(raw, 11, Date.now());
    const event = await waitFor(
      async () => (await events()).find((e) => e.camera === 'raw.cam' && e.end === null),
      5000,
      'the event',
    );
    raw.ws.send(encodeRelaySnapshot(1, Date.now(), 11, jpeg));
    const got = await waitFor(
      async () => {
        const res = await fetch(`${hub.url}/api/events/${event.id}/snapshot.jpg`);
        return res.ok ? Buffer.from(await res.arrayBuffer()) : undefined;
      },
      5000,
      'the snapshot on the hub',
    );
    assert.deepEqual(got, jpeg);
    raw.ws.send(encodeRelaySnapshot(1, Date.now(), 11, Buffer.concat([jpeg, Buffer.alloc(600 * 1024)])));
    const closed = await raw.waitClosed(5000);
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /snapshot of \d+ bytes, over 524288/);

    const again = await edge('raw', TOKEN_B, { events: ['snapshot'] });
    again.ws.send(encodeRelaySnapshot(1, Date.now(), 11, Buffer.from('not a jpeg at all')));
    assert.match((await again.waitClosed(5000)).reason, /snapshot is not a JPEG/);
  });

  it('asks an edge for a pre-roll, starts its camera from before the event, and closes it for frames older than asked', async () => {
    const raw = await edge('hand', TOKEN_C, { codecs: ['h264', 'jpeg'], events: ['pre-roll', 'snapshot'] });
    const buffer = await raw.waitMessage((m) => m.type === 'buffer', 5000, 'the buffer request');
    assert.deepEqual((await publisher(hub.url, 'hand')).events, ['pre-roll', 'snapshot'], 'in /api/publishers');
    assert.deepEqual(buffer, { type: 'buffer', camera: 'cam', ms: 5000 });
    const start = Date.now() - 500;
    startEvent(raw, 21, start);
    const started = (await raw.waitMessage((m) => m.type === 'start', 5000, 'the start')) as HubMessage & {
      from?: number;
    };
    // The event's start less the recording's pre-roll, on the edge's clock (this edge answers no pings: as it is).
    assert.ok(Math.abs(started.from! - (start - 5000)) < 5, `from ${started.from} for an event at ${start}`);
    raw.send({
      type: 'config',
      camera: 'cam',
      codec: track.codec,
      width: track.width,
      height: track.height,
      description: Buffer.from(track.avcC).toString('base64'),
    });
    const old = started.from! - 120_000;
    raw.ws.send(encodeRelayFrame(1, 1, old, idr, 'h264', true, { dts: 0, compositionOffset: 0 }, true));
    const closed = await raw.waitClosed(5000);
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /a buffered frame 120 s before "from"/);
  });
});
