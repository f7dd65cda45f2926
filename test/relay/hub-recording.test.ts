// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * A hub records the cameras of an edge whose `publishers:` entry says `record`: with nobody
 * watching it asks the edge for the camera, encodes the relayed JPEGs once and writes playable
 * segments; when the edge goes away the camera is removed, its segment ends with a gap 'offline',
 * and its recordings stay listed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hashToken } from '../../src/security/secrets.js';
import { ffmpegJpeg, startServer, waitFor, type TestServer } from '../support/index.js';
import { checkStore, gapRows, writeConfig } from '../recording/helpers.js';
import { getJson, RawEdge, TOKEN_A } from './helpers.js';

describe('relay: recording on the hub', () => {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-hub-rec-'));
  const root = join(dir, 'store');
  let t: TestServer | undefined;
  after(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a published camera nobody watches, and keeps its recordings once the edge is gone', async () => {
    const config = writeConfig(
      join(dir, 'hub.yaml'),
      `recordings: { path: ${root}, segment_duration: 2 }\n` +
        `publishers:\n  - { name: a, token_hash: "${hashToken(TOKEN_A)}", record: true, offline_grace: 0 }\n`,
    );
    t = await startServer([], config);
    const store = t.server.recordings!;
    const jpegs = [ffmpegJpeg(320, 240, 'testsrc'), ffmpegJpeg(320, 240, 'testsrc2')];
    const raw = await RawEdge.open(t.url, TOKEN_A, 'a');
    let timer: NodeJS.Timeout | undefined;
    try {
      raw.hello('a');
      await raw.waitMessage((m) => m.type === 'hello', 10_000, 'the hub hello');
      raw.announce([{ id: 'cam', name: 'cam', width: 320, height: 240, fps: 10, channel: 1 }]);
      // No viewer: the recorder alone makes the hub ask for the camera.
      await raw.waitMessage((m) => m.type === 'start', 10_000, 'the hub asking for the camera');
      let seq = 0;
      timer = setInterval(() => raw.frame(1, ++seq, jpegs[seq % 2]!), 100);
      await waitFor(
        () => store.segments('a.cam', 0, Date.now() + 1000).filter((s) => !s.open).length >= 2,
        40_000,
        'two closed segments of the published camera',
      );
      const listed = await getJson<{ cameras: { id: string; recording: { state: string } | null }[] }>(
        `${t.url}/api/cameras`,
      );
      assert.equal(listed.cameras.find((c) => c.id === 'a.cam')?.recording?.state, 'recording');
      assert.equal(t.server.registry.get('a.cam')!.viewers().length, 0);
    } finally {
      clearInterval(timer);
      raw.close();
    }

    // The edge is gone (no offline grace): its camera is withdrawn and, watched by nobody, removed.
    await waitFor(() => !t!.server.registry.get('a.cam'), 15_000, 'the camera removed');
    const now = Date.now();
    const listing = await getJson<{ ranges: unknown[] }>(
      `${t.url}/api/cameras/a.cam/recordings?start=${now - 3_600_000}&end=${now}`,
    );
    assert.ok(listing.ranges.length >= 1, JSON.stringify(listing));
    await t.close();
    t = undefined;
    const rows = await checkStore(root);
    assert.ok(rows.filter((r) => r.camera === 'a.cam').length >= 2, 'closed, playable segments');
    assert.ok(
      gapRows(root).some((g) => g.camera === 'a.cam' && g.reason === 'offline'),
      'a gap for the edge going away',
    );
  });
});
