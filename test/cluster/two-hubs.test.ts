/**
 * Two hubs in this process over a real nats-server, with the same users and share secret:
 * - one set of users: a login made on hub 1 works on hub 2 (looked up by the session's digest), a logout
 *   on hub 1 ends it on hub 2 too, a share link signed by hub 1 works on hub 2, and a cookie no hub issued
 *   is refused;
 * - `record: { on: hub-2 }`: hub 1's camera is recorded by hub 2 (which pulls it like a viewer would),
 *   not by hub 1.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../src/security/password.js';
import { requireInCi, skipOutsideCi, startServer, waitFor, type TestServer } from '../support/index.js';
import { natsMissing, NatsServer } from '../support/nats.js';
import { tempDir, writeConfig } from '../security/support.js';

const missing = natsMissing();
const skip = skipOutsideCi(missing);
const PASSWORD = 'shared-users-test-password';

describe('two hubs: one set of users, recording on another hub', { skip }, () => {
  const dir = tempDir('shared-users');
  let nats: NatsServer;
  const hubs: TestServer[] = [];

  before(async () => {
    if (missing) return;
    nats = await NatsServer.start();
    const auth = {
      users: [{ name: 'alice', role: 'admin', password_hash: await hashPassword(PASSWORD) }],
      share_secret: 'shared-users-test-share-secret-0123456789',
    };
    const hubConfig = {
      'hub-1': {
        cameras: [{ id: 'cam', source: 'testsrc?size=160x120&fps=5', record: { on: 'hub-2' } }],
        recordings: { path: join(dir, 'rec-1') },
      },
      'hub-2': { recordings: { path: join(dir, 'rec-2') } },
    };
    for (const name of ['hub-1', 'hub-2'] as const) {
      const file = writeConfig(dir, `${name}.yaml`, {
        auth,
        ...hubConfig[name],
        cluster: { nats: nats.url, name, heartbeat: 0.5 },
      });
      hubs.push(await startServer([], file));
    }
    // Both on the bus: each lists the other.
    for (const [i, hub] of hubs.entries())
      await waitFor(
        async () => {
          const res = await fetch(`${hub.url}/api/cluster`, { headers: { authorization: `Basic ${basic()}` } });
          const body = (await res.json()) as { hubs: { name: string; reachable: boolean }[] };
          return body.hubs.some((h) => h.name === `hub-${2 - i}` && h.reachable) || undefined;
        },
        10_000,
        'the hubs to hear each other',
      );
  });

  after(async () => {
    await Promise.all(hubs.map((h) => h.close()));
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const basic = () => Buffer.from(`alice:${PASSWORD}`).toString('base64');
  const me = (url: string, headers: Record<string, string>) => fetch(`${url}/api/me`, { headers });

  it('takes a login made on one hub on the other, and ends it on both at logout', async () => {
    requireInCi(missing);
    const [one, two] = hubs as [TestServer, TestServer];
    const login = await fetch(`${one.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: PASSWORD }),
    });
    assert.equal(login.status, 200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const onTwo = await me(two.url, { cookie });
    assert.equal(onTwo.status, 200);
    assert.equal(((await onTwo.json()) as { name: string }).name, 'alice');

    const logout = await fetch(`${one.url}/logout`, {
      method: 'POST',
      headers: { cookie, origin: one.url },
      redirect: 'manual',
    });
    assert.equal(logout.status, 303);
    await waitFor(
      async () => ((await me(two.url, { cookie })).status === 401 ? true : undefined),
      5000,
      'the logout on hub 2',
    );
  });

  it('refuses a cookie no hub issued', async () => {
    requireInCi(missing);
    const forged = `camrelay_session=${'A'.repeat(43)}`;
    assert.equal((await me(hubs[1]!.url, { cookie: forged })).status, 401);
  });

  it('takes a share link signed by one hub on the other', async () => {
    requireInCi(missing);
    const [one, two] = hubs as [TestServer, TestServer];
    const issued = await fetch(`${one.url}/api/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${basic()}` },
      body: JSON.stringify({ cameras: ['shed.*'], expires_in: 600 }),
    });
    assert.equal(issued.status, 201);
    const { token } = (await issued.json()) as { token: string };
    const res = await fetch(`${two.url}/api/me?token=${token}`);
    assert.equal(res.status, 200);
  });

  it('records a camera on the hub its record.on names, not on its own', async () => {
    requireInCi(missing);
    const [one, two] = hubs as [TestServer, TestServer];
    const auth = { authorization: `Basic ${basic()}` };
    type Listed = { cameras: { id: string; kind: string; recording: { state: string } | null }[] };
    const state = await waitFor(
      async () => {
        const body = (await (await fetch(`${two.url}/api/cameras`, { headers: auth })).json()) as Listed;
        const cam = body.cameras.find((c) => c.id === 'cam');
        return cam?.recording?.state === 'recording' ? cam : undefined;
      },
      20_000,
      "hub 2 recording hub 1's camera",
    );
    assert.equal(state.kind, 'remote');
    const own = (await (await fetch(`${one.url}/api/cameras`, { headers: auth })).json()) as Listed;
    assert.equal(own.cameras.find((c) => c.id === 'cam')?.recording, null, 'hub 1 does not record it');
    const cluster = (await (await fetch(`${one.url}/api/cluster`, { headers: auth })).json()) as {
      cameras: { id: string; pulledBy: string[] }[];
    };
    assert.deepEqual(cluster.cameras.find((c) => c.id === 'cam')?.pulledBy, ['hub-2']);
    // The pictures arrive on hub 2 for its recorder.
    await waitFor(
      async () => {
        const info = (await (await fetch(`${two.url}/api/cluster`, { headers: auth })).json()) as {
          cameras: { id: string; bus: { unitsIn: number } }[];
        };
        return (info.cameras.find((c) => c.id === 'cam')?.bus.unitsIn ?? 0) > 5 || undefined;
      },
      15_000,
      "hub 1's pictures on hub 2",
    );
  });
});
