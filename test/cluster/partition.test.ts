// test lane: waiting (two hubs and nats-server in network namespaces mostly wait on heartbeats and reconnects)
/**
 * A network partition between hubs: nats-server in one namespace, hub A and hub C each in one of their
 * own, joined to it by veth pairs. C's link is taken down with `ip link set down`: A lists C as unreachable
 * (its camera too) and keeps serving its own camera; C keeps serving its own camera and lists A as
 * unreachable. The link back up, both hear each other again and C watches A's camera over the bus.
 *
 *   hub A 10.235.1.2 ──veth── 10.235.1.1 nats 10.235.2.1 ──veth── 10.235.2.2 hub C
 *
 * Needs root; otherwise skipped and says why, except in CI (CI=true), where it fails with that reason.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CamrelayProcess, requireInCi, skipOutsideCi, waitFor } from '../support/index.js';
import { addNetns, addVeth, deleteNetns, netnsId, netnsMissing, run } from '../support/netns.js';
import { natsMissing, NatsServer } from '../support/nats.js';

const missing = natsMissing() ?? netnsMissing();
const skip = skipOutsideCi(missing);
const PORT = 8080;

/** An HTTP GET from inside a namespace (the hubs listen on their namespace's loopback): its status. */
function statusIn(netns: string, path: string): number {
  try {
    const out = execFileSync(
      'ip',
      [
        'netns',
        'exec',
        netns,
        'curl',
        '-s',
        '-m',
        '8',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        `http://127.0.0.1:${PORT}${path}`,
      ],
      { encoding: 'utf8' },
    );
    return Number(out);
  } catch {
    return 0;
  }
}

describe('a partition between hubs', { skip }, () => {
  const id = netnsId();
  const ns = { nats: `camrelay-pn-${id}`, a: `camrelay-pa-${id}`, c: `camrelay-pc-${id}` };
  const dev = { na: `cpna${id}`, a: `cpa${id}`, nc: `cpnc${id}`, c: `cpc${id}` };
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-partition-'));
  const procs: CamrelayProcess[] = [];
  let nats: NatsServer | undefined;
  let hubA: CamrelayProcess;
  let hubC: CamrelayProcess;

  function hub(name: string, netns: string, natsAddress: string, camera: string): CamrelayProcess {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        `server: { port: ${PORT} }`,
        'camera_defaults: { idle_grace: 1 }',
        `cameras: [{ id: ${camera}, source: "testsrc?size=160x120&fps=5" }]`,
        `cluster: { nats: "nats://${natsAddress}:${nats!.port}", name: ${name}, heartbeat: 0.5 }`,
      ].join('\n'),
    );
    const proc = CamrelayProcess.spawn(['serve', '--config', file], { netns });
    procs.push(proc);
    return proc;
  }

  before(async () => {
    if (missing) return;
    addNetns(ns.nats, ns.a, ns.c);
    addVeth(
      { netns: ns.nats, dev: dev.na, address: '10.235.1.1/24' },
      { netns: ns.a, dev: dev.a, address: '10.235.1.2/24' },
    );
    addVeth(
      { netns: ns.nats, dev: dev.nc, address: '10.235.2.1/24' },
      { netns: ns.c, dev: dev.c, address: '10.235.2.2/24' },
    );
    nats = await NatsServer.start({ netns: ns.nats, host: '0.0.0.0' });
    hubA = hub('hub-a', ns.a, '10.235.1.1', 'cam-a');
    hubC = hub('hub-c', ns.c, '10.235.2.1', 'cam-c');
    await Promise.all([hubA.waitListening(), hubC.waitListening()]);
    await Promise.all([
      hubA.waitLog((l) => l.msg === 'cluster: hub joined' && l.hub === 'hub-c', 15_000, 'A hearing C'),
      hubC.waitLog((l) => l.msg === 'cluster: hub joined' && l.hub === 'hub-a', 15_000, 'C hearing A'),
    ]);
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGTERM', 3000)));
    await nats?.stop();
    deleteNetns(ns.nats, ns.a, ns.c);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves what each side reaches, says what it cannot, and re-forms', async () => {
    requireInCi(missing);
    assert.equal(statusIn(ns.c, '/api/cameras/cam-a/snapshot.jpg'), 200, "C shows A's camera before the partition");
    const fromA = hubA.logs.length;
    const fromC = hubC.logs.length;
    run('ip', ['-n', ns.c, 'link', 'set', dev.c, 'down']);
    await Promise.all([
      hubA.waitLog(
        (l) => String(l.msg).startsWith('cluster: hub unreachable') && l.hub === 'hub-c',
        10_000,
        'A: C unreachable',
        fromA,
      ),
      hubC.waitLog(
        (l) => String(l.msg).startsWith('cluster: hub unreachable') && l.hub === 'hub-a',
        10_000,
        'C: A unreachable',
        fromC,
      ),
    ]);
    // Each side serves its own camera; the other side's is offline at once (503), not waited for.
    assert.equal(statusIn(ns.a, '/api/cameras/cam-a/snapshot.jpg'), 200);
    assert.equal(statusIn(ns.c, '/api/cameras/cam-c/snapshot.jpg'), 200);
    assert.equal(statusIn(ns.c, '/api/cameras/cam-a/snapshot.jpg'), 503);

    const healedA = hubA.logs.length;
    run('ip', ['-n', ns.c, 'link', 'set', dev.c, 'up']);
    await hubA.waitLog((l) => l.msg === 'cluster: hub reachable' && l.hub === 'hub-c', 20_000, 'A: C back', healedA);
    await waitFor(
      () => statusIn(ns.c, '/api/cameras/cam-a/snapshot.jpg') === 200 || undefined,
      15_000,
      "A's camera on C again",
    );
  });
});
