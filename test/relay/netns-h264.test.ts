// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * The H.264 uplink across network namespaces: the edge in one, the hub in another, the edge's
 * uplink shaped to 4 Mbit/s (tbf), its camera 1280x720 at 30 fps encoded once on the edge. A hub
 * viewer in H.264 (a probe in the hub's namespace) records what it gets; ffmpeg must decode that
 * Annex B stream without a single error, every unit's time must be on or before its arrival (the
 * edge's capture time mapped to the hub's clock), and the stream must begin at a keyframe.
 *
 *   edge 10.232.1.2 ──veth (tbf 4 Mbit/s)── 10.232.1.1 hub (+ viewer probe)
 *
 * Speeds are not asserted here (bench/netns-relay.ts measures them). Needs root; otherwise each
 * test is skipped and says why, except in CI (CI=true), where it fails with that reason instead.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { locateFfmpeg } from '../../src/ffmpeg/locate.js';
import { requireInCi, skipOutsideCi } from '../support/ci.js';
import { CamrelayProcess } from '../support/index.js';
import { addNetns, addVeth, deleteNetns, NetnsScript, netnsId, netnsMissing, shapeLink } from '../support/netns.js';
import { TOKEN_A } from './helpers.js';

const PROBE = join(import.meta.dirname, 'probe.ts');
const WATCH_S = 8;

const missing = netnsMissing();
const skip = skipOutsideCi(missing);

describe('an H.264 uplink across network namespaces, through 4 Mbit/s', () => {
  const id = netnsId();
  const ns = { edge: `camrelay-he-${id}`, hub: `camrelay-hh-${id}` };
  const dev = { edge: `che${id}`, hub: `chh${id}` };
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-netns-h264-'));
  const procs: CamrelayProcess[] = [];
  const probes: NetnsScript[] = [];

  before(() => {
    if (missing) return;
    addNetns(ns.edge, ns.hub);
    addVeth(
      { netns: ns.edge, dev: dev.edge, address: '10.232.1.2/24' },
      { netns: ns.hub, dev: dev.hub, address: '10.232.1.1/24' },
    );
    shapeLink(ns.edge, dev.edge, { rate: '4mbit', burst: '32kbit', latency: '50ms' });
  });

  after(async () => {
    if (missing) return;
    for (const p of probes) p.child.kill('SIGKILL');
    await Promise.all([...procs.map((p) => p.stop('SIGKILL')), ...probes.map((p) => p.exited)]);
    deleteNetns(ns.edge, ns.hub);
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives a hub viewer H.264 that ffmpeg decodes without an error', { skip }, async () => {
    requireInCi(missing);
    const hub = CamrelayProcess.spawn(
      ['serve', '--host', '10.232.1.1', '--port', '8080', '--allow-anonymous', '--publisher', `e1=${TOKEN_A}`],
      { netns: ns.hub },
    );
    procs.push(hub);
    const edge = CamrelayProcess.spawn(
      [
        'serve',
        '--port',
        '8081',
        '--publish-to',
        'ws://10.232.1.1:8080',
        '--name',
        'e1',
        '--token',
        TOKEN_A,
        '--camera',
        'cam=testsrc?size=1280x720&fps=30',
      ],
      { netns: ns.edge },
    );
    procs.push(edge);
    await hub.waitLog((l) => l.msg === 'edge announced its cameras', 20_000, 'the edge to announce');
    const file = join(dir, 'received.h264');
    const viewer = new NetnsScript(ns.hub, PROBE, ['h264', 'http://10.232.1.1:8080', 'e1.cam', String(WATCH_S), file]);
    probes.push(viewer);
    await viewer.exited;
    const result = viewer.lines[0] as
      | {
          units: number;
          keyframes: number;
          firstIsKeyframe: boolean;
          skips: number;
          configs: number;
          futureStamps: number;
          latencies: number[];
        }
      | undefined;
    assert.ok(result, `no result from the viewer: ${viewer.stderr}`);
    const sorted = [...result.latencies].sort((a, b) => a - b);
    console.log(
      `# H.264 through a 4 Mbit/s uplink: ${JSON.stringify({
        fps: (result.units / WATCH_S).toFixed(1),
        keyframes: result.keyframes,
        skips: result.skips,
        p50Ms: sorted[Math.floor(sorted.length / 2)],
        p99Ms: sorted[Math.floor(sorted.length * 0.99)],
      })}`,
    );
    assert.ok(result.units > 0, 'units through the hub');
    assert.ok(result.firstIsKeyframe, 'the first unit is a keyframe');
    assert.ok(result.configs >= 1, 'a config before the units');
    assert.equal(result.futureStamps, 0, 'no unit stamped after its arrival');
    // The edge's own line, waited for (not implied by what the viewer got through the hub).
    await edge.waitLog(
      (l) => l.msg === 'connected to hub; cameras announced' && l.codec === 'h264',
      10_000,
      'the edge to say it sends H.264',
    );
    // What the viewer got, as one Annex B stream into ffmpeg's decoder: not one error.
    const run = spawnSync(
      locateFfmpeg().path,
      ['-hide_banner', '-v', 'error', '-f', 'h264', '-i', '-', '-f', 'null', '-'],
      { input: readFileSync(file), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    assert.equal(run.status, 0, `ffmpeg failed: ${run.stderr}`);
    assert.equal(run.stderr.trim(), '', `decoder errors: ${run.stderr}`);
  });
});
