// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * Relayed cameras are bounded and expire: an edge may publish at most its
 * max_cameras (a bigger announce is refused with 1008 and logged); an edge
 * reconnecting with new camera ids each time never grows the hub; a gone
 * edge's cameras show offline for its offline_grace and are then removed,
 * unless it comes back in time; and the hub's own cameras keep their
 * mjpg-streamer number whatever relayed cameras come and go. A raw
 * publisher WebSocket against a real hub.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { hashToken } from '../../src/security/secrets.js';
import { buildServer, type Server } from '../../src/server/app.js';
import { readJpegSize } from '../../src/codec/jpeg.js';
import { sleep, waitFor } from '../support/index.js';
import { getJson, RawEdge, TOKEN_A } from './helpers.js';

const GRACE_S = 1;

interface CameraRow {
  id: string;
  state: string;
}

describe('hub: relayed camera caps and expiry', () => {
  let server: Server;
  let url = '';
  const logs: Record<string, unknown>[] = [];

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-expiry-'));
    const file = join(dir, 'hub.yaml');
    writeFileSync(
      file,
      `publishers:
  - name: a
    token_hash: ${hashToken(TOKEN_A)}
    max_cameras: 3
    offline_grace: ${GRACE_S}
`,
    );
    const config = await loadConfig({
      config: file,
      host: '127.0.0.1',
      port: 0,
      cameras: ['own0=testsrc?size=320x240&fps=5', 'own1=testsrc?size=160x120&fps=5'],
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n'))
          if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    server = await buildServer(config, pino({ level: 'info' }, sink));
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`;
  });

  after(async () => {
    await server.close();
  });

  const cameras = async (): Promise<CameraRow[]> =>
    (await getJson<{ cameras: CameraRow[] }>(`${url}/api/cameras`)).cameras;
  const relayed = async (): Promise<CameraRow[]> => (await cameras()).filter((c) => c.id.startsWith('a.'));

  async function connect(ids: string[]): Promise<RawEdge> {
    const raw = await RawEdge.open(url, TOKEN_A, 'a');
    raw.hello('a');
    await raw.waitMessage((m) => m.type === 'hello', 3000, 'the hub hello');
    raw.announce(ids.map((id, i) => ({ id, name: id, width: 320, height: 240, fps: 5, channel: i + 1 })));
    return raw;
  }

  async function snapshotSize(action: string): Promise<{ width: number; height: number } | undefined> {
    const res = await fetch(`${url}/?action=${action}`);
    assert.equal(res.status, 200, action);
    return readJpegSize(Buffer.from(await res.arrayBuffer()));
  }

  it("refuses an announce over the edge's max_cameras with 1008, logged, adding nothing", async () => {
    const raw = await connect(['c1', 'c2', 'c3', 'c4']);
    const closed = await raw.waitClosed(3000);
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /announce of 4 cameras, over this edge's limit of 3/);
    assert.deepEqual(await relayed(), []);
    assert.ok(
      logs.some((l) => l.edge === 'a' && /over this edge's limit of 3/.test(String(l.reason))),
      'the refusal is logged',
    );
  });

  it('an edge reconnecting with new camera ids each time never holds more than its cap', async () => {
    let most = 0;
    for (let round = 0; round < 8; round++) {
      const ids = [0, 1, 2].map((j) => `r${round}_${j}`);
      const raw = await connect(ids);
      await waitFor(
        async () => (await relayed()).some((c) => c.id === `a.${ids[0]}`),
        3000,
        `round ${round}'s cameras`,
      );
      most = Math.max(most, (await relayed()).length);
      raw.close();
      await raw.waitClosed(3000);
    }
    assert.ok(most <= 3, `the hub held ${most} of edge a's cameras at once`);
    // Gone for longer than the grace: its cameras go too.
    await waitFor(
      async () => (await relayed()).length === 0,
      (GRACE_S + 5) * 1000,
      "the gone edge's cameras to be removed",
    );
    assert.deepEqual(
      (await cameras()).map((c) => c.id),
      ['own0', 'own1'],
    );
  });

  it("shows a gone edge's cameras offline for the grace, and keeps them when it comes back in time", async () => {
    const first = await connect(['yard', 'door']);
    await waitFor(async () => (await relayed()).length === 2, 3000, 'the cameras');
    first.close();
    await first.waitClosed(3000);
    await waitFor(
      async () => (await relayed()).every((c) => c.state === 'idle' || c.state === 'offline'),
      3000,
      'offline',
    );
    await sleep((GRACE_S * 1000) / 2);
    const second = await connect(['yard', 'door']);
    try {
      await sleep(GRACE_S * 1000 + 500);
      assert.deepEqual(
        (await relayed()).map((c) => c.id).sort(),
        ['a.door', 'a.yard'],
        'kept: the edge came back within the grace',
      );
      // Left out of a later announce: withdrawn (unwatched, so removed at once).
      second.announce([{ id: 'yard', name: 'yard', width: 320, height: 240, fps: 5, channel: 1 }]);
      await waitFor(async () => (await relayed()).length === 1, 3000, 'door withdrawn');
    } finally {
      second.close();
      await second.waitClosed(3000);
    }
    await waitFor(async () => (await relayed()).length === 0, (GRACE_S + 5) * 1000, 'removal after the grace');
  });

  it("numbers the hub's own cameras first for mjpg-streamer, whatever relayed cameras come and go", async () => {
    assert.deepEqual(await snapshotSize('snapshot_1'), { width: 160, height: 120 });
    const raw = await connect(['x', 'y']);
    try {
      await waitFor(async () => (await relayed()).length === 2, 3000, 'relayed cameras');
      assert.deepEqual(await snapshotSize('snapshot'), { width: 320, height: 240 });
      assert.deepEqual(await snapshotSize('snapshot_1'), { width: 160, height: 120 });
      assert.equal((await fetch(`${url}/?action=snapshot_9`)).status, 404);
    } finally {
      raw.close();
      await raw.waitClosed(3000);
    }
    await waitFor(async () => (await relayed()).length === 0, (GRACE_S + 5) * 1000, 'removal after the grace');
    assert.deepEqual(await snapshotSize('snapshot_1'), { width: 160, height: 120 });
  });
});
