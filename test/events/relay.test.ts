// test lane: waiting (events' quiet periods and an edge's connection: mostly waits on real time)
/**
 * Events across the relay: an edge with motion tells its hub of its events over the publisher
 * connection (no video), and the hub raises them as its own (its API, with its own ids); a hub
 * recording the edge's camera around events asks for its video only from the event on; an event
 * from a hand-driven edge for a camera it did not announce is ignored, a malformed one closes it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashToken } from '../../src/security/secrets.js';
import { HandObservations, startServer, waitFor, type TestServer } from '../support/index.js';
import { publisher, RawEdge, TOKEN_A, TOKEN_B } from '../relay/helpers.js';

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
        `  - { name: raw, token_hash: "${hashToken(TOKEN_B)}" }\n`,
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
    // Recorded around events: nothing goes over the uplink before one.
    await new Promise((r) => setTimeout(r, 1500));
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
    // The event's video, recorded on the hub from the event on (the edge's pre-roll is not fetched).
    await waitFor(
      async () =>
        (await fetch(`${hub.url}/api/cameras/shed.yard/recordings?start=${now - 60_000}&end=${Date.now()}`)).ok,
      10_000,
      'the event recorded on the hub',
    );
    const edgeOwn = ((await (await fetch(`${edge.url}/api/events`)).json()) as Listed).events;
    assert.equal(edgeOwn[0]!.camera, 'yard', 'the edge keeps its own');
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    assert.match(metrics, /camrelay_events_started_total\{camera="shed.yard"\} 1/);
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
