/**
 * Events stored in the recordings' index: started, updated and ended by a hand-driven detector,
 * their snapshots, the list newest first, an event a crash left open closed at its last motion,
 * and what the feed hears.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Events, EventStore, type EventNotice } from '../../src/events/index.js';
import { IndexDb } from '../../src/recording/segment-index.js';
import { HandObservations, quietLogger, waitFor } from '../support/index.js';

const timing = { minDurationMs: 1000, endAfterMs: 3000, preRollMs: 5000, postRollMs: 5000 };
const camera = (id: string) => ({ id, timing, recorded: true, retainDays: 30 });

describe('events in the index', () => {
  let dir: string;
  let index: IndexDb;
  let store: EventStore;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-events-'));
    index = new IndexDb(join(dir, 'index.sqlite3'));
    store = new EventStore(() => index.handle);
  });
  after(() => {
    index.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts, updates and ends an event, stores it with its snapshot, and tells the feed', async () => {
    const source = new HandObservations();
    const jpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    let now = 100_000;
    const events = new Events({ store: () => store, snapshots: async () => jpeg, log: quietLogger(), now: () => now });
    const heard: EventNotice[] = [];
    events.feed.listen((n) => heard.push(n));
    events.watch(camera('door'), source);
    source.motion('door', 100_000, 1000, { score: 0.3, zones: ['path'] });
    assert.equal(heard[0]?.type, 'start');
    const id = heard[0]!.event.id;
    assert.ok(id > 0, 'an id from the index');
    await waitFor(() => heard.some((n) => n.snapshot), 2000, 'the snapshot');
    source.push('door', true, { at: 102_500, score: 0.9, zones: ['yard'] });
    source.push('door', false, { at: 103_000 });
    now = 105_600;
    source.push('door', false, { at: now });
    const types = heard.map((n) => n.type);
    assert.equal(types[types.length - 1], 'end');
    const end = heard[heard.length - 1]!.event;
    assert.equal(end.start, 100_000);
    assert.equal(end.end, 102_500, 'the end is the last motion');
    assert.equal(end.score, 0.9);
    assert.deepEqual(end.zones, ['path', 'yard']);
    const stored = store.get(id)!;
    assert.equal(stored.end, 102_500);
    assert.equal(stored.hasSnapshot, true);
    assert.deepEqual(store.snapshot(id), jpeg);
    assert.deepEqual(events.json(stored), {
      id,
      camera: 'door',
      start: 100_000,
      end: 102_500,
      score: 0.9,
      zones: ['path', 'yard'],
      snapshot: `/api/events/${id}/snapshot.jpg`,
      clip: `/api/events/${id}/clip.mp4`,
    });
    events.close();
  });

  it('lists events overlapping a range, newest first, by camera, and prunes old ones', () => {
    const events = new Events({ store: () => store, log: quietLogger() });
    const source = new HandObservations();
    events.watch(camera('a'), source);
    events.watch(camera('b'), source);
    source.motion('a', 200_000, 1000);
    source.motion('b', 210_000, 1000);
    source.motion('a', 220_000, 1000);
    events.close(); // ends them all
    const all = events.list({ start: 150_000, end: 300_000, limit: 10 });
    assert.deepEqual(
      all.map((e) => [e.camera, e.start]),
      [
        ['a', 220_000],
        ['b', 210_000],
        ['a', 200_000],
      ],
    );
    assert.deepEqual(
      events.list({ cameras: ['a'], start: 0, end: 300_000, limit: 1 }).map((e) => e.start),
      [220_000],
    );
    assert.deepEqual(events.list({ cameras: [], start: 0, end: 300_000, limit: 10 }), []);
    assert.equal(store.prune('a', 210_000), 1, "a's first event ended before 210 s");
    assert.equal(events.list({ cameras: ['a'], start: 0, end: 300_000, limit: 10 }).length, 1);
    assert.deepEqual(store.spans('b', 0, 1e9), [{ startMs: 205_000, endMs: 216_000 }]);
  });

  it('closes an event a crash left open at its last motion, at the next start', () => {
    const id = store.insert({
      camera: 'crashed',
      start: 300_000,
      end: null,
      lastSeen: 300_000,
      score: 0.4,
      zones: [],
      preRollMs: 5000,
      postRollMs: 5000,
    });
    store.update({ id, end: null, lastSeen: 304_000, score: 0.5, zones: [] });
    const events = new Events({ store: () => store, log: quietLogger() });
    assert.equal(store.get(id)!.end, 304_000);
    events.close();
  });
});
