// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * Per-viewer quality across a real link whose rate changes mid-run: camrelay in one network namespace,
 * two H.264 viewers in two others, each behind its own veth pair shaped on the server's side (tbf):
 *
 *   viewer A (?quality=auto)  10.233.1.2 ── tbf ── 10.233.1.1  server
 *   viewer B (?quality=main)  10.233.2.2 ── tbf ── 10.233.2.1  server
 *
 * Both links go 8 Mbit/s → 300 kbit/s → 8 Mbit/s (`tc qdisc replace`), each phase as long as its event needs:
 * slow once A's round trip is known, fast again once A's delay was watched for a while after its move down,
 * and the end once A received main for a while after its move back up. The camera is 1280x720, encoded at
 * 2 Mbit/s; its sub-stream is 640x360 at 400 kbit/s. A must move down while the link is slow (to the
 * sub-stream or its keyframes) and back to main once it is fast again, without reconnecting; every unit it
 * received decodes with real ffmpeg with zero errors, across the moves (each with its `config` first); its
 * delay while slow does not grow beyond what the link itself explains (the time the biggest unit takes
 * through it). B pinned main: it never moves, and what it got decodes.
 *
 * Needs root (CI runs as root); otherwise the test is skipped and says why, except in CI (CI=true), where
 * it fails with that reason instead.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { requireInCi, skipOutsideCi } from '../../support/ci.js';
import { CamrelayProcess, sleep, waitFor, type TextMessage } from '../../support/index.js';
import { addNetns, addVeth, deleteNetns, NetnsScript, netnsId, netnsMissing, shapeLink } from '../../support/netns.js';
import { decodeAll, qualities, runsOf, type Event } from './quality-stream.js';

const VIEWER = join(import.meta.dirname, 'quality-netns-viewer.ts');
/** On the fast link from A's first unit: its round trip learnt from small units. */
const FAST_MS = 1500;
/** After the move down: its settling (DOWN_SETTLE_MS and the old units in flight), then the watched delay. */
const SETTLE_MS = 2000;
const WATCHED_MS = 4000;
/** After the move back up: main for this long (a move up that failed would have moved down again). */
const MAIN_MS = 2000;
const SLOW_KBPS = 300;
const FAST = { rate: '8mbit', burst: '64kbit', latency: '100ms' };
const SLOW = { rate: `${SLOW_KBPS}kbit`, burst: '32kbit', latency: '100ms' };

const missing = netnsMissing();
const skip = skipOutsideCi(missing);

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/**
 * The receipt time of the move `find` looks for, once it came (or now, after 20 s without it: the assertions
 * below then say what moved and when). 20 s: a move up waits at most MAX_UP_HOLD_MS plus UP_CONFIRM_MS.
 */
async function waitForMove(find: () => { at: number } | undefined): Promise<number> {
  for (const end = Date.now() + 20_000; Date.now() < end; await sleep(100)) {
    const move = find();
    if (move) return move.at;
  }
  return Date.now();
}

/** The viewer's lines back into ordered events. */
function eventsOf(viewer: NetnsScript): Event[] {
  const events: Event[] = [];
  for (const l of viewer.lines) {
    if ('text' in l) events.push({ text: l.text as TextMessage, at: l.at as number });
    else if ('seq' in l) {
      const u = l as { seq: number; flags: number; capturedAt: number; at: number; data: string };
      events.push({
        unit: { seq: u.seq, flags: u.flags, capturedAt: u.capturedAt, at: u.at, data: Buffer.from(u.data, 'base64') },
      });
    }
  }
  return events;
}

describe('per-viewer quality through a link whose rate changes', () => {
  const id = netnsId();
  const ns = { server: `camrelay-qs-${id}`, a: `camrelay-qa-${id}`, b: `camrelay-qb-${id}` };
  const dev = { sa: `cqs${id}a`, a: `cqa${id}`, sb: `cqs${id}b`, b: `cqb${id}` };
  const procs: CamrelayProcess[] = [];
  const viewers: NetnsScript[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-quality-netns-'));

  after(async () => {
    for (const v of viewers) v.child.kill('SIGKILL');
    await Promise.all([...procs.map((p) => p.stop('SIGKILL')), ...viewers.map((v) => v.exited)]);
    if (!missing) deleteNetns(...Object.values(ns));
    rmSync(dir, { recursive: true, force: true });
  });

  it('auto moves down and back up without a broken picture; pinned main stays', { skip }, async () => {
    requireInCi(missing);
    addNetns(...Object.values(ns));
    addVeth(
      { netns: ns.server, dev: dev.sa, address: '10.233.1.1/24' },
      { netns: ns.a, dev: dev.a, address: '10.233.1.2/24' },
    );
    addVeth(
      { netns: ns.server, dev: dev.sb, address: '10.233.2.1/24' },
      { netns: ns.b, dev: dev.b, address: '10.233.2.2/24' },
    );
    const shape = (o: typeof FAST): void => {
      shapeLink(ns.server, dev.sa, o);
      shapeLink(ns.server, dev.sb, o);
    };
    shape(FAST);

    const config = join(dir, 'camrelay.yaml');
    writeFileSync(
      config,
      'cameras:\n  - { id: cam, source: "testsrc?size=1280x720&fps=15", encoder: libx264, bitrate: 2000 }\n',
    );
    const server = CamrelayProcess.spawn(
      ['serve', '--host', '0.0.0.0', '--port', '8080', '--allow-anonymous', '--config', config],
      { netns: ns.server },
    );
    procs.push(server);
    // The viewers start meanwhile (they connect once the server listens).
    const a = new NetnsScript(ns.a, VIEWER, ['http://10.233.1.1:8080', 'cam', '?codec=h264&quality=auto']);
    const b = new NetnsScript(ns.b, VIEWER, ['http://10.233.2.1:8080', 'cam', '?codec=h264&quality=main']);
    viewers.push(a, b);
    await server.waitListening();
    const unitsOf = (v: NetnsScript): number => v.lines.filter((l) => 'seq' in l).length;
    /** A viewer's moves so far (receipt time, quality), as they arrive. */
    const movesOf = (v: NetnsScript): { at: number; quality: string }[] =>
      v.lines.flatMap((l) => {
        const t = l.text as TextMessage | undefined;
        return t?.type === 'quality' ? [{ at: l.at as number, quality: t.quality as string }] : [];
      });
    await waitFor(() => unitsOf(a) > 0 && unitsOf(b) > 0, 25_000, `the first units (${a.stderr.slice(-300)})`);
    await sleep(FAST_MS);
    const droppedAt = Date.now();
    shape(SLOW);
    const downAt = await waitForMove(() => movesOf(a).find((m) => m.at >= droppedAt && m.quality !== 'main'));
    await sleep(downAt + SETTLE_MS + WATCHED_MS - Date.now());
    const raisedAt = Date.now();
    shape(FAST);
    const upAt = await waitForMove(() => movesOf(a).find((m) => m.at >= raisedAt && m.quality === 'main'));
    await sleep(upAt + MAIN_MS - Date.now());
    for (const v of viewers) v.tell('stop');
    await waitFor(() => viewers.every((v) => v.lines.some((l) => 'api' in l)), 10_000, 'the viewers’ API reads');
    await Promise.all(viewers.map((v) => v.exited));

    // ---- A: auto ----
    const events = eventsOf(a);
    const moves = events.flatMap((e) =>
      'text' in e && e.text.type === 'quality' ? [{ at: e.at, quality: e.text.quality, reason: e.text.reason }] : [],
    );
    const runs = runsOf(events); // every run starts at a keyframe, every gap is followed by one
    const pictures = decodeAll(runs);
    const units = runs.flatMap((r) => r.units);
    const down = moves.find((m) => m.at >= droppedAt && m.quality !== 'main');
    const up = moves.find((m) => m.at >= raisedAt && m.quality === 'main');
    // Delay while slow, once moved down: what the link explains is the time its biggest unit takes through it.
    const settled = units.filter((u) => down && u.at >= down.at + SETTLE_MS && u.at < raisedAt);
    const third = settled.length ? (raisedAt - settled[0]!.at) / 3 : 0;
    const latency = (us: typeof units): number[] => us.map((u) => u.at - u.capturedAt);
    const first = latency(settled.filter((u) => u.at < settled[0]!.at + third));
    const last = latency(settled.filter((u) => u.at >= raisedAt - third));
    const biggest = Math.max(0, ...settled.map((u) => u.data.length));
    const linkMs = (biggest * 8) / SLOW_KBPS; // bits / (kbit/s) = ms
    const api = a.lines.find((l) => 'api' in l)!.api as {
      viewers?: { qualityReason?: string; qualitySwitches?: number }[];
    };
    const summary = {
      moves: moves.map((m) => `${m.quality}/${m.reason}@${Math.round(m.at - droppedAt)}ms`),
      downAfterMs: down ? Math.round(down.at - droppedAt) : null,
      upAfterMs: up ? Math.round(up.at - raisedAt) : null,
      units: units.length,
      pictures,
      runs: runs.map((r) => `${r.config.width}x${r.config.height}:${r.units.length}`),
      slowFirstMeanMs: Math.round(mean(first)),
      slowLastMeanMs: Math.round(mean(last)),
      biggestSlowUnit: biggest,
    };
    console.log(`# auto viewer, 8 Mbit/s → ${SLOW_KBPS} kbit/s → 8 Mbit/s: ${JSON.stringify(summary)}`);

    assert.deepEqual(moves[0] && { quality: moves[0].quality, reason: moves[0].reason }, {
      quality: 'main',
      reason: 'start',
    });
    assert.ok(down, `moved down while the link was slow: ${JSON.stringify(summary.moves)}`);
    assert.equal(down.reason, 'link');
    assert.ok(up, `back to main once the link was fast again: ${JSON.stringify(summary.moves)}`);
    assert.equal(moves.at(-1)!.quality, 'main', 'on main at the end');
    assert.ok(
      runs.some((r) => r.config.width === 640),
      'the sub-stream was received',
    );
    assert.equal(runs.at(-1)!.config.width, 1280);
    assert.ok(pictures >= units.length - 1, `every unit decodes (${pictures} of ${units.length})`);
    assert.ok(first.length > 0 && last.length > 0, 'units through the slow link');
    assert.ok(
      mean(last) <= mean(first) + 2 * linkMs,
      `the delay grew beyond the link's own: ${mean(first).toFixed(0)} → ${mean(last).toFixed(0)} ms ` +
        `(its biggest unit: ${linkMs.toFixed(0)} ms)`,
    );
    assert.ok(
      (api.viewers?.find((v) => v.qualityReason === 'link')?.qualitySwitches ?? 0) >= 2,
      JSON.stringify(api.viewers),
    );

    // ---- B: pinned main ----
    const pinned = eventsOf(b);
    assert.deepEqual(qualities(pinned), [{ quality: 'main', reason: 'pinned' }], 'pinned: never moved');
    const pinnedRuns = runsOf(pinned);
    assert.ok(
      pinnedRuns.every((r) => r.config.width === 1280),
      'main only',
    );
    decodeAll(pinnedRuns);
  });
});
