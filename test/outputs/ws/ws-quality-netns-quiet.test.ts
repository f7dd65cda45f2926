// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * Auto quality of a quiet camera through a link whose rate changes: a GStreamer RTSP camera like the one the
 * trial used (640x360 at 15 fps, a keyframe every 2 s, about 100 kbit/s: small units, keyframes of a few KB)
 * and camrelay in one network namespace, an auto H.264 viewer in another, the link between them shaped on the
 * server's side (tbf): fast, then below the main stream's rate, then fast again.
 *
 *   viewer (?quality=auto)  10.233.3.2 ── tbf ── 10.233.3.1  camrelay, RTSP camera on its loopback
 *
 * The viewer must move down while the link is slow and back to main within 10 s of the link being fast
 * again (plus one GOP: a move waits for main's keyframe). Below main, what the viewer is given is too small
 * to show the link's rate by its acked throughput or by the burst of a big unit.
 *
 * Needs root (CI runs as root) and the GStreamer RTSP server; otherwise the test is skipped and says why,
 * except in CI (CI=true), where it fails with that reason instead.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { requireInCi, skipOutsideCi } from '../../support/ci.js';
import { CamrelayProcess, ROOT, rtspCameraMissing, sleep, waitFor, type TextMessage } from '../../support/index.js';
import { addNetns, addVeth, deleteNetns, NetnsScript, netnsId, netnsMissing, shapeLink } from '../../support/netns.js';

const VIEWER = join(import.meta.dirname, 'quality-netns-viewer.ts');
const FAST = { rate: '8mbit', burst: '64kbit', latency: '100ms' };
/** Below the main stream's rate (about 100 kbit/s), above its keyframes alone. */
const SLOW = { rate: '40kbit', burst: '16kbit', latency: '200ms' };
/** The target (10 s) plus one GOP of the camera. */
const BACK_WITHIN_MS = 12_000;

const missing = netnsMissing() ?? rtspCameraMissing();
const skip = skipOutsideCi(missing);

describe('auto quality of a quiet RTSP camera through a link whose rate changes', () => {
  const id = netnsId();
  const ns = { server: `camrelay-qq-${id}`, a: `camrelay-qv-${id}` };
  const dev = { s: `cqq${id}s`, a: `cqq${id}a` };
  const children: ChildProcess[] = [];
  const procs: CamrelayProcess[] = [];
  const viewers: NetnsScript[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-quality-quiet-'));

  after(async () => {
    for (const v of viewers) v.child.kill('SIGKILL');
    for (const c of children) c.kill('SIGKILL');
    await Promise.all([...procs.map((p) => p.stop('SIGKILL')), ...viewers.map((v) => v.exited)]);
    if (!missing) deleteNetns(...Object.values(ns));
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves down while the link is slow and back to main within 10 s once it is fast', { skip }, async () => {
    requireInCi(missing);
    addNetns(...Object.values(ns));
    addVeth(
      { netns: ns.server, dev: dev.s, address: '10.233.3.1/24' },
      { netns: ns.a, dev: dev.a, address: '10.233.3.2/24' },
    );
    shapeLink(ns.server, dev.s, FAST);

    // The camera on the server's loopback (stdin kept open: it quits when it closes).
    const camera = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns.server,
        '/usr/bin/python3',
        join(ROOT, 'test/support/rtsp-server.py'),
        '8554',
        '/cam',
        '640',
        '360',
        '15',
        '30',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    children.push(camera);
    let cameraOut = '';
    camera.stdout!.on('data', (d: Buffer) => (cameraOut += d.toString()));
    await waitFor(() => cameraOut.includes('ready'), 15_000, 'the RTSP camera');
    const config = join(dir, 'camrelay.yaml');
    writeFileSync(config, 'cameras:\n  - { id: cam, source: "rtsp://127.0.0.1:8554/cam" }\n');
    const server = CamrelayProcess.spawn(
      ['serve', '--host', '0.0.0.0', '--port', '8080', '--allow-anonymous', '--config', config],
      { netns: ns.server },
    );
    procs.push(server);
    const viewer = new NetnsScript(ns.a, VIEWER, ['http://10.233.3.1:8080', 'cam', '?codec=h264&quality=auto']);
    viewers.push(viewer);
    await server.waitListening();
    const units = (): number => viewer.lines.filter((l) => 'seq' in l).length;
    const moves = (): { at: number; quality: string; reason: string }[] =>
      viewer.lines.flatMap((l) => {
        const t = l.text as TextMessage | undefined;
        return t?.type === 'quality'
          ? [{ at: l.at as number, quality: String(t.quality), reason: String(t.reason) }]
          : [];
      });
    await waitFor(() => units() >= 45, 30_000, `three seconds of units (${viewer.stderr.slice(-300)})`);
    await sleep(2000);
    const fastMoves = moves().map((m) => m.quality);

    const slowAt = Date.now();
    shapeLink(ns.server, dev.s, SLOW);
    const down = await waitFor(
      () => moves().find((m) => m.at >= slowAt && m.quality !== 'main'),
      15_000,
      `a move down on the slow link (${JSON.stringify(moves())})`,
    );
    // Long enough for a probe of main to meet the slow link and fall back.
    await sleep(10_000);
    const fastAgainAt = Date.now();
    shapeLink(ns.server, dev.s, FAST);
    await sleep(BACK_WITHIN_MS + 3000);
    viewer.tell('stop');
    await waitFor(() => viewer.lines.some((l) => 'api' in l), 10_000, 'the viewer’s API read');

    const all = moves();
    const summary = all.map((m) => `${m.quality}/${m.reason}@${Math.round(m.at - slowAt)}ms`);
    console.log(
      `# quiet camera, 8 Mbit/s → 40 kbit/s (at 0 ms) → 8 Mbit/s (at ${fastAgainAt - slowAt} ms): ${JSON.stringify(summary)}`,
    );
    assert.deepEqual(fastMoves, ['main'], 'main on the fast link');
    assert.equal(down.reason, 'link');
    // What the viewer gets BACK_WITHIN_MS after the link is fast again, and from then on: main.
    const deadline = fastAgainAt + BACK_WITHIN_MS;
    const atDeadline = all.filter((m) => m.at <= deadline).at(-1)!;
    assert.equal(atDeadline.quality, 'main', `on main within ${BACK_WITHIN_MS} ms: ${JSON.stringify(summary)}`);
    assert.deepEqual(
      all.filter((m) => m.at > deadline),
      [],
      `and stays there: ${JSON.stringify(summary)}`,
    );
  });
});
