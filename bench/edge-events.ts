/**
 * Events across the relay (issue 21 §5): what an edge with motion costs its uplink, and the pre-roll a
 * hub recording around events gets from the edge's buffer.
 *
 * One hub (`camrelay serve`, recording its edges' cameras with `record: {mode: events}`) and two edges
 * (`camrelay publish`, real processes, motion on):
 * - `quiet` plays a distractor clip (dusk falling slowly: no event): its uplink for a day, read from the kernel
 *   (`ss -ti`: TCP payload bytes both ways, and segments), against the bytes of streaming that camera all
 *   day;
 * - `busy` plays a clip with a box crossing it every 12 s: per event, how long before the event's start
 *   the hub's clip begins (the pre-roll achieved; asked: 5 s), whether it has the edge's snapshot, and
 *   the uplink's bytes per event.
 *
 *   node --import tsx bench/edge-events.ts     # alone (EDGE_EVENTS_BENCH_QUICK=1: 30 s); `npm run bench` runs it too
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken } from '../src/security/secrets.js';
import { ensureMotionClips } from '../test/support/motion-clips.js';
import { freePort } from '../test/support/ports.js';
import { CamrelayProcess } from '../test/support/process.js';

const quick = !!process.env.EDGE_EVENTS_BENCH_QUICK;
const RUN_MS = quick ? 30_000 : 75_000;
const TOKEN_QUIET = 'quiet-token-0123456789abcdef';
const TOKEN_BUSY = 'busy-token-0123456789abcdef';
/** IPv4 + TCP with timestamps: what each segment adds on the wire beyond its payload. */
const SEGMENT_HEADER_BYTES = 52;

interface Tcp {
  sent: number;
  received: number;
  segsOut: number;
  segsIn: number;
}

/** The edge's connection to the hub, from the kernel: the process `pid`'s socket to `port`. */
function tcpOf(pid: number, port: number): Tcp | undefined {
  const out = execFileSync('ss', ['-tinpH', 'state', 'established', `( dport = :${port} )`], { encoding: 'utf8' });
  const blocks = out.split(/\n(?=\S)/);
  const mine = blocks.find((b) => b.includes(`pid=${pid},`));
  if (!mine) return undefined;
  const n = (key: string) => Number(new RegExp(`${key}:(\\d+)`).exec(mine)?.[1] ?? 0);
  return { sent: n('bytes_acked'), received: n('bytes_received'), segsOut: n('segs_out'), segsIn: n('segs_in') };
}

const wire = (t: Tcp) => t.sent + t.received + (t.segsOut + t.segsIn) * SEGMENT_HEADER_BYTES;
const mb = (bytes: number) => (bytes / 1e6).toFixed(2);

const dir = mkdtempSync(join(tmpdir(), 'camrelay-edge-events-bench-'));
const [busyClip, quietClip] = await ensureMotionClips(['object-large', 'distractor-dusk']);
const port = await freePort();
writeFileSync(
  join(dir, 'hub.yaml'),
  `log: { level: warn }\nrecordings: { path: ${join(dir, 'store')} }\npublishers:\n` +
    `  - { name: quiet, token_hash: "${hashToken(TOKEN_QUIET)}", record: { mode: events } }\n` +
    `  - { name: busy, token_hash: "${hashToken(TOKEN_BUSY)}", record: { mode: events } }\n`,
);
const hub = CamrelayProcess.spawn(['serve', '--config', join(dir, 'hub.yaml'), '--port', String(port)]);
const hubUrl = (await hub.waitListening()).replace(/\/$/, '');
const edge = (name: string, token: string, clip: string): CamrelayProcess => {
  writeFileSync(
    join(dir, `${name}.yaml`),
    `log: { level: warn }\npublish: { hub: "ws://127.0.0.1:${port}", name: ${name}, token: ${token} }\n` +
      `cameras:\n  - { id: cam, source: "file:${clip}", motion: { min_duration: 0.3, end_after: 1 } }\n`,
  );
  return CamrelayProcess.spawn(['publish', '--config', join(dir, `${name}.yaml`)]);
};
const quiet = edge('quiet', TOKEN_QUIET, quietClip!.path);
const busy = edge('busy', TOKEN_BUSY, busyClip!.path);
const stopAll = () => Promise.all([quiet.stop(), busy.stop(), hub.stop()]);

try {
  // Connected, and the buffer asked for (the first seconds carry the announce and the buffer request).
  const deadline = Date.now() + 15_000;
  let q0: Tcp | undefined;
  let b0: Tcp | undefined;
  while (Date.now() < deadline && (!q0 || !b0)) {
    await new Promise((r) => setTimeout(r, 500));
    q0 = tcpOf(quiet.pid, port);
    b0 = tcpOf(busy.pid, port);
  }
  if (!q0 || !b0) throw new Error('the edges did not connect');
  await new Promise((r) => setTimeout(r, 2000));
  q0 = tcpOf(quiet.pid, port)!;
  b0 = tcpOf(busy.pid, port)!;
  const started = Date.now();
  await new Promise((r) => setTimeout(r, RUN_MS));
  const q1 = tcpOf(quiet.pid, port)!;
  const b1 = tcpOf(busy.pid, port)!;
  const seconds = (Date.now() - started) / 1000;

  const quietDelta: Tcp = {
    sent: q1.sent - q0.sent,
    received: q1.received - q0.received,
    segsOut: q1.segsOut - q0.segsOut,
    segsIn: q1.segsIn - q0.segsIn,
  };
  const perDay = (bytes: number) => (bytes / seconds) * 86_400;
  const clipBitrate = (statSync(quietClip!.path).size * 8) / quietClip!.truth.duration; // bit/s
  const events = (
    (await (await fetch(`${hubUrl}/api/events?limit=100`)).json()) as {
      events: { id: number; camera: string; start: number; end: number | null; snapshot: string | null }[];
    }
  ).events;
  const quietEvents = events.filter((e) => e.camera === 'quiet.cam').length;
  const busyEvents = events.filter((e) => e.camera === 'busy.cam' && e.end !== null && e.start >= started - 15_000);
  const preRolls: number[] = [];
  let snapshots = 0;
  for (const e of busyEvents) {
    if (e.snapshot) snapshots++;
    const res = await fetch(`${hubUrl}/api/events/${e.id}/clip.mp4`, { method: 'HEAD' });
    const start = Number(res.headers.get('x-recording-start'));
    if (res.ok && start) preRolls.push(e.start - start);
  }
  const busyBytes = wire({
    sent: b1.sent - b0.sent,
    received: b1.received - b0.received,
    segsOut: b1.segsOut - b0.segsOut,
    segsIn: b1.segsIn - b0.segsIn,
  });
  const sorted = [...preRolls].sort((a, b) => a - b);
  console.log(`edge events across the relay (camrelay publish → camrelay serve, ${seconds.toFixed(0)} s):`);
  console.log(
    `- idle camera with motion on (320x240 10 fps, ${quietEvents} events): uplink ${mb(perDay(quietDelta.sent))} MB/day ` +
      `edge→hub and ${mb(perDay(quietDelta.received))} MB/day hub→edge of TCP payload, ${mb(perDay(wire(quietDelta)))} MB/day ` +
      `with TCP/IP headers (${((quietDelta.segsOut + quietDelta.segsIn) / seconds).toFixed(2)} segments/s); ` +
      `streaming it all day: ${mb((clipBitrate / 8) * 86_400)} MB/day`,
  );
  console.log(
    `- events (a box crossing every 12 s): ${busyEvents.length} ended, ${snapshots} with the edge's snapshot; ` +
      `clip starts before the event by ${sorted.length ? `${sorted[0]} to ${sorted.at(-1)} ms (median ${sorted[Math.floor(sorted.length / 2)]} ms)` : 'n/a'} ` +
      `(asked: 5000 ms, from the keyframe at or before); uplink ${busyEvents.length ? mb(busyBytes / busyEvents.length) : 'n/a'} MB per event with headers`,
  );
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}
