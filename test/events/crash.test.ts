// test lane: waiting (a camera's motion, a server killed during an event and started again: mostly waits)
/**
 * End to end with the real detector: a camera whose picture has a box crossing it (a motion test
 * clip) raises an event on a camrelay process, told to a real Mosquitto (ON at an mqtt.js
 * subscriber); the process is killed with SIGKILL while the event lasts: the broker says `offline`
 * (camrelay's last will), and the next start closes the event at its last known motion.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { connect, type MqttClient } from 'mqtt';
import { ensureMotionClips } from '../support/motion-clips.js';
import { Mosquitto, startCamrelay, startServer, waitFor } from '../support/index.js';

interface Row {
  id: number;
  start_ms: number;
  end_ms: number | null;
  last_seen_ms: number;
}

function eventRows(root: string): Row[] {
  const db = new Database(join(root, 'index.sqlite3'), { readonly: true });
  try {
    return db.prepare('SELECT id, start_ms, end_ms, last_seen_ms FROM events ORDER BY id').all() as Row[];
  } finally {
    db.close();
  }
}

describe('an event from the real detector, and the server killed during it', () => {
  let dir: string;
  let root: string;
  let config: string;
  let broker: Mosquitto;
  let sub: MqttClient;
  const messages: { topic: string; payload: string }[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-events-crash-'));
    root = join(dir, 'store');
    const [clip] = await ensureMotionClips(['object-large']);
    broker = await Mosquitto.start();
    sub = connect(broker.url);
    sub.on('message', (topic, payload) => messages.push({ topic, payload: payload.toString() }));
    await new Promise<void>((resolve) => sub.once('connect', () => resolve()));
    await sub.subscribeAsync(['camrelay/available', 'camrelay/box/motion']);
    config = join(dir, 'camrelay.yaml');
    // end_after long: the event is still open when the process is killed, whenever the box has crossed.
    writeFileSync(
      config,
      `log: { level: warn }\nrecordings: { path: ${root} }\nmqtt: { url: "${broker.url}" }\n` +
        `cameras:\n  - { id: box, source: "file:${clip!.path}", motion: { min_duration: 0.3, end_after: 60 } }\n`,
    );
  });
  after(async () => {
    await sub?.endAsync(true);
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('raises the event, says ON; after a SIGKILL the broker says offline and the next start closes the event', async () => {
    const { proc, url } = await startCamrelay(['serve', '--config', config, '--port', '0']);
    let killedAt: number;
    try {
      const event = await waitFor(
        async () => {
          const res = await fetch(new URL('/api/events', url));
          return ((await res.json()) as { events: { id: number; end: null }[] }).events[0];
        },
        25_000,
        'an event from the detector',
      );
      assert.equal(event.end, null, 'open: end_after has not passed');
      await waitFor(() => messages.some((m) => m.topic === 'camrelay/box/motion' && m.payload === 'ON'), 5000, 'ON');
      killedAt = Date.now();
      proc.child.kill('SIGKILL');
      await proc.exited;
    } finally {
      proc.child.kill('SIGKILL');
    }
    await waitFor(
      () => messages.at(-1)?.topic === 'camrelay/available' && messages.at(-1)?.payload === 'offline',
      10_000,
      'the last will',
    );
    const [open] = eventRows(root);
    assert.equal(open!.end_ms, null, 'still open after the kill');

    const ts = await startServer([], config);
    try {
      const closed = eventRows(root).find((r) => r.id === open!.id)!;
      assert.equal(closed.end_ms, open!.last_seen_ms, 'closed at its last known motion');
      assert.ok(closed.end_ms! >= closed.start_ms && closed.end_ms! <= killedAt);
      const res = await fetch(`${ts.url}/api/events/${open!.id}`);
      assert.equal(((await res.json()) as { end: number }).end, closed.end_ms);
    } finally {
      await ts.close();
    }
  });
});
