// test lane: waiting (a server killed during an event, and started again: mostly waits on real time)
/**
 * A camrelay process whose detector sees motion all the time (a scripted one: the detector is not
 * what is tested here) raises an event; the process is killed with SIGKILL while the event lasts,
 * and the next start closes the event at its last known motion (written every few seconds).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { makeH264Clip } from '../recording/helpers.js';
import { ROOT, startServer, waitFor } from '../support/index.js';

interface Row {
  id: number;
  camera: string;
  start_ms: number;
  end_ms: number | null;
  last_seen_ms: number;
}

function eventRows(root: string): Row[] {
  const db = new Database(join(root, 'index.sqlite3'), { readonly: true });
  try {
    return db.prepare('SELECT id, camera, start_ms, end_ms, last_seen_ms FROM events ORDER BY id').all() as Row[];
  } finally {
    db.close();
  }
}

describe('an event when the server is killed', () => {
  let dir: string;
  let root: string;
  let config: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-events-crash-'));
    root = join(dir, 'store');
    makeH264Clip(join(dir, 'clip.mp4'), { seconds: 4 });
    config = join(dir, 'camrelay.yaml');
    writeFileSync(
      config,
      `log: { level: warn }\nrecordings: { path: ${root} }\n` +
        `cameras:\n  - { id: box, source: "file:${join(dir, 'clip.mp4')}", motion: { min_duration: 0.5, end_after: 30 } }\n`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('closes the event a SIGKILL left open at its last motion, at the next start', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/support/moving-server.ts'), config], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    let killedAt: number;
    try {
      const url = await waitFor(() => /listening (\S+)/.exec(out)?.[1], 20_000, 'the server listening');
      // An event starts, and its last motion is written as it goes.
      const event = await waitFor(
        async () => {
          const res = await fetch(new URL('/api/events', url));
          const body = (await res.json()) as { events: { id: number; end: null }[] };
          if (!body.events) throw new Error(JSON.stringify(body));
          return body.events[0];
        },
        20_000,
        'an event',
      );
      assert.equal(event.end, null, 'open while the box moves');
      await waitFor(() => eventRows(root)[0]!.last_seen_ms > eventRows(root)[0]!.start_ms + 2500, 10_000, 'progress');
      killedAt = Date.now();
      child.kill('SIGKILL');
      await exited;
    } finally {
      child.kill('SIGKILL');
    }
    const [open] = eventRows(root);
    assert.equal(open!.end_ms, null, 'still open after the kill');

    const ts = await startServer([], config);
    try {
      const closed = eventRows(root).find((r) => r.id === open!.id)!;
      assert.equal(closed.end_ms, closed.last_seen_ms, 'closed at its last known motion');
      assert.ok(closed.end_ms! <= killedAt, 'not past the kill');
      assert.ok(closed.end_ms! >= killedAt - 4000, `closed ${killedAt - closed.end_ms!} ms before the kill`);
      const res = await fetch(`${ts.url}/api/events/${open!.id}`);
      assert.equal(((await res.json()) as { end: number }).end, closed.end_ms);
    } finally {
      await ts.close();
    }
  });
});
