// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * Codec 2 (H.264) across a real slow link: camrelay in one network namespace, an H.264 viewer in
 * another, joined by a veth pair whose server end is shaped with a token bucket (tbf):
 *
 *   server 10.232.1.1 ──veth (tbf on this side)── 10.232.1.2 viewer
 *
 * The camera is 1280x720 at 15 fps (testsrc), encoded once by libx264 at 2 Mbit/s; the link
 * first carries 512 kbit/s, a quarter of that. The viewer must get fewer pictures, never a broken
 * one, and no growing delay: real ffmpeg decodes everything it received with zero errors, every
 * skip is followed by a keyframe, the server counted keyframe skips, and the latency (receipt on
 * the viewer's clock minus the header's time, the same machine clock) does not grow between the
 * first and the last third. Then the link is raised (the tbf replaced by a fast one) and the viewer
 * must come back to every unit in sequence.
 *
 * Needs root (CI runs as root); otherwise the test is skipped and says why, except in CI
 * (CI=true), where it fails with that reason instead.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { requireInCi, skipOutsideCi } from '../../support/ci.js';
import { CamrelayProcess, sleep, waitFor, type TextMessage, type V1Frame } from '../../support/index.js';
import { addNetns, addVeth, deleteNetns, NetnsScript, netnsId, netnsMissing, shapeLink } from '../../support/netns.js';
import { assertNoBrokenPicture, checkConfig, decodeWithFfmpeg } from './h264-viewer.js';

const VIEWER = join(import.meta.dirname, 'h264-netns-viewer.ts');
/**
 * Seconds on the slow link, from the viewer's first unit; the first 2 of them are its catch-up. The 4 s
 * left tell a bounded delay from a queue: the stream being four times the link's rate, a queue would grow
 * by about 3 s every second, some 8 s between the first and the last third.
 */
const SLOW_S = 6;
const SETTLE_S = 2;
/**
 * Seconds on the fast link; the last FULL_S of them must be every unit in sequence. The 4 s before are
 * for the next keyframe (1 s apart) after what was skipped, and for a viewer process that a busy machine
 * held back to read its backlog (until it has, its late acks look like a slow link).
 */
const FAST_S = 6;
const FULL_S = 2;
const SLOW_RATE = '512kbit';
/**
 * How much the mean latency may grow between the first and the last third of the slow window:
 * generous (a keyframe alone takes about a second through this link), where a queue would grow by
 * seconds (the stream is four times the link's rate).
 */
const GROWTH_MS = 1500;

const missing = netnsMissing();
const skip = skipOutsideCi(missing);

interface Unit {
  seq: number;
  flags: number;
  capturedAt: number;
  at: number;
  data: string;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Sequence gaps (skips) among consecutive units. */
function gaps(units: { seq: number }[]): number {
  let n = 0;
  for (let i = 1; i < units.length; i++) if (units[i]!.seq !== (units[i - 1]!.seq + 1) >>> 0) n++;
  return n;
}

describe('codec 2 (H.264) through a link too slow for the stream', () => {
  const id = netnsId();
  const ns = { server: `camrelay-hs-${id}`, viewer: `camrelay-hv-${id}` };
  // Interface names are at most 15 characters.
  const dev = { server: `chs${id}`, viewer: `chv${id}` };
  const procs: CamrelayProcess[] = [];
  const viewers: NetnsScript[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-h264-netns-'));

  after(async () => {
    // Even after a failure: processes first (they hold the namespaces' sockets), then the namespaces.
    for (const v of viewers) v.child.kill('SIGKILL');
    await Promise.all([...procs.map((p) => p.stop('SIGKILL')), ...viewers.map((v) => v.exited)]);
    if (!missing) deleteNetns(...Object.values(ns));
    rmSync(dir, { recursive: true, force: true });
  });

  it('degrades to keyframes without a broken picture or a growing delay, then recovers', { skip }, async () => {
    requireInCi(missing);
    addNetns(...Object.values(ns));
    addVeth(
      { netns: ns.server, dev: dev.server, address: '10.232.1.1/24' },
      { netns: ns.viewer, dev: dev.viewer, address: '10.232.1.2/24' },
    );
    // What the server sends to the viewer leaves through the server's end: shape it there.
    shapeLink(ns.server, dev.server, { rate: SLOW_RATE, burst: '32kbit', latency: '100ms' });

    const config = join(dir, 'camrelay.yaml');
    writeFileSync(
      config,
      'cameras:\n  - { id: cam, source: "testsrc?size=1280x720&fps=15", encoder: libx264, bitrate: 2000, ' +
        'keyframe_interval: 1 }\n',
    );
    const server = CamrelayProcess.spawn(
      ['serve', '--host', '10.232.1.1', '--port', '8080', '--allow-anonymous', '--config', config],
      { netns: ns.server },
    );
    procs.push(server);
    // The viewer starts meanwhile (it connects once the server listens).
    const viewer = new NetnsScript(ns.viewer, VIEWER, ['http://10.232.1.1:8080', 'cam']);
    viewers.push(viewer);
    await server.waitListening();
    const units = (): Unit[] => viewer.lines.filter((l) => 'seq' in l) as unknown as Unit[];
    await waitFor(() => units().length > 0, 25_000, `the first unit (viewer: ${viewer.stderr.slice(-300)})`);
    const firstAt = units()[0]!.at;
    await sleep(firstAt + SLOW_S * 1000 - Date.now());
    shapeLink(ns.server, dev.server, { rate: '1gbit', burst: '1mbit', latency: '50ms' });
    const raisedAt = Date.now();
    await sleep(FAST_S * 1000);
    viewer.tell('stop');
    await waitFor(() => viewer.lines.some((l) => 'api' in l), 10_000, `the viewer's API read (${viewer.stderr})`);
    await viewer.exited;

    const all = units();
    const texts = viewer.lines.filter((l) => 'text' in l).map((l) => l.text as TextMessage);
    const configs = texts.filter((t) => t.type === 'config');
    assert.equal(configs.length, 1, 'one config (the camera did not restart)');
    const avc = checkConfig(configs[0]!);
    assert.equal(avc.width, 1280);
    assert.equal(avc.height, 720);

    const frames: V1Frame[] = all.map((u) => {
      const jpeg = Buffer.from(u.data, 'base64');
      const header = { version: 1, codec: 2, flags: u.flags, headerLength: 16, seq: u.seq, capturedAt: u.capturedAt };
      return { ...header, jpeg, bytes: jpeg.length, hash: '', at: u.at };
    });
    assertNoBrokenPicture(frames);
    const pictures = decodeWithFfmpeg(avc, frames);

    const slowFrom = firstAt + SETTLE_S * 1000;
    const slow = all.filter((u) => u.at >= slowFrom && u.at < raisedAt);
    const third = (raisedAt - slowFrom) / 3;
    const latency = (us: Unit[]): number[] => us.map((u) => u.at - u.capturedAt);
    const first = latency(slow.filter((u) => u.at < slowFrom + third));
    const last = latency(slow.filter((u) => u.at >= raisedAt - third));
    const stopAt = raisedAt + FAST_S * 1000;
    const full = all.filter((u) => u.at >= stopAt - FULL_S * 1000);
    const api = viewer.lines.find((l) => 'api' in l)!.api as { viewers?: { codec?: string; keyframeSkips?: number }[] };
    const stats = api?.viewers?.find((v) => v.codec === 'h264');
    const slowSpan = slow.length ? slow.at(-1)!.seq - slow[0]!.seq + 1 : 0;
    const summary = {
      units: all.length,
      pictures,
      slow: `${slow.length}/${slowSpan} units, ${gaps(slow)} skips`,
      slowKbps: ((slow.reduce((n, u) => n + (u.data.length * 3) / 4, 0) * 8) / (raisedAt - slowFrom)).toFixed(0),
      firstMeanMs: mean(first).toFixed(0),
      lastMeanMs: mean(last).toFixed(0),
      full: `${full.length} units, ${gaps(full)} skips`,
      keyframeSkips: stats?.keyframeSkips,
    };
    console.log(`# H.264 through ${SLOW_RATE}, then a fast link: ${JSON.stringify(summary)}`);

    assert.ok(pictures >= frames.length - 1, `every unit decodes to a picture (${pictures} of ${frames.length})`);
    // The link was the bottleneck: units were skipped, to keyframes, and the server counted it.
    assert.ok(gaps(slow) > 0, 'the slow link skipped units');
    assert.ok((stats?.keyframeSkips ?? 0) > 0, `keyframeSkips in the API: ${JSON.stringify(stats)}`);
    assert.ok(first.length > 0 && last.length > 0, 'units in the first and the last third of the slow window');
    assert.ok(
      mean(last) < mean(first) + GROWTH_MS,
      `latency grew: ${mean(first).toFixed(0)} ms → ${mean(last).toFixed(0)} ms`,
    );
    // Back on a fast link: every unit, in sequence.
    assert.ok(full.length >= 10, `units in the last ${FULL_S} s on the fast link: ${full.length}`);
    assert.equal(gaps(full), 0, `no skips in the last ${FULL_S} s on the fast link`);
  });
});
