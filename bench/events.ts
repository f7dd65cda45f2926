/**
 * Events: from an event's start to `ON` at an MQTT subscriber, and the memory of recording around
 * events (`record: {mode: events}`: the pre-roll kept per camera).
 *
 * - Event start → MQTT ON: a camrelay server (built in this process) with four cameras with motion,
 *   fed by a scripted detector (src/events' ObservationSource: the detector's own cost and delay
 *   are its own bench's), Mosquitto from Debian as the broker, an mqtt.js subscriber of
 *   `camrelay/+/motion`. Each event's start is the moment the observation that starts it is handed
 *   to the events; ON is when the subscriber gets it (same clock). Target: p95 ≤ 1 s.
 * - Pre-roll memory: four 1280x720 H.264 cameras (a `file:` clip at 3 Mbit/s, keyframe every second)
 *   with `record: {mode: events}` and the default 5 s pre-roll, no event: the bytes each keeps in
 *   memory (what /metrics says), sampled over the window, against its bound (32 MiB).
 *
 * - The same through the real path: the detector on two cameras whose picture has a box crossing it
 *   every 12 s; from the events' `start` to ON at the subscriber.
 *
 *   node --import tsx bench/events.ts     # alone (EVENTS_BENCH_QUICK=1: fewer events); `npm run bench` runs it too
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'mqtt';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.js';
import { buildServer } from '../src/server/app.js';
import { PRE_ROLL_MAX_BYTES } from '../src/recording/pre-roll.js';
import { HandObservations } from '../test/support/observations.js';
import { Mosquitto } from '../test/support/mosquitto.js';
import { ensureMotionClips } from '../test/support/motion-clips.js';
import { makeH264Clip } from './clip.js';

const quick = !!process.env.EVENTS_BENCH_QUICK;
const EVENTS = quick ? 12 : 60;
const CAMERAS = ['m1', 'm2', 'm3', 'm4'];
const SPACING_MS = 700;

const dir = mkdtempSync(join(tmpdir(), 'camrelay-events-bench-'));
const clip = join(dir, 'clip.mp4');
makeH264Clip(clip, 20, 3000);
const broker = await Mosquitto.start();
const configFile = join(dir, 'camrelay.yaml');
writeFileSync(
  configFile,
  `log: { level: warn }
recordings: { path: ${join(dir, 'store')} }
mqtt: { url: "${broker.url}" }
cameras:
${CAMERAS.map((id) => `  - { id: ${id}, source: "testsrc?size=160x120&fps=5", motion: { min_duration: 0.5, end_after: 1, fps: 1 } }`).join('\n')}
${[1, 2, 3, 4].map((i) => `  - { id: r${i}, source: "file:${clip}", record: { mode: events } }`).join('\n')}
`,
);
const config = await loadConfig({ config: configFile, host: '127.0.0.1', port: 0 });
const source = new HandObservations();
const server = await buildServer(config, pino({ level: 'error' }), undefined, { observations: source });
await server.app.listen({ host: '127.0.0.1', port: 0 });

const sub = connect(broker.url);
const pending = new Map<string, number>();
const latencies: number[] = [];
sub.on('message', (topic, payload) => {
  const camera = topic.split('/')[1]!;
  const t0 = pending.get(camera);
  if (payload.toString() === 'ON' && t0 !== undefined) {
    latencies.push(Date.now() - t0);
    pending.delete(camera);
  }
});
await new Promise<void>((resolve) => sub.once('connect', () => resolve()));
await sub.subscribeAsync('camrelay/+/motion');
// The notifier connected and said OFF for every camera.
await new Promise((r) => setTimeout(r, 2000));

const preRollSamples: number[][] = [];
const sample = () =>
  preRollSamples.push(['r1', 'r2', 'r3', 'r4'].map((id) => server.recordings?.gates.get(id)?.preRoll.bytes ?? 0));
for (let i = 0; i < EVENTS; i++) {
  const camera = CAMERAS[i % CAMERAS.length]!;
  const now = Date.now();
  source.push(camera, true, { at: now - 600, score: 0.3 });
  pending.set(camera, Date.now());
  source.push(camera, true, { at: Date.now(), score: 0.3 });
  await new Promise((r) => setTimeout(r, SPACING_MS));
  sample();
}
await new Promise((r) => setTimeout(r, 1500));
sample();
const spans = ['r1', 'r2', 'r3', 'r4'].map((id) => server.recordings?.gates.get(id)?.preRoll.spanMs ?? 0);

await server.close();

// The real path: the detector (src/motion) on cameras whose picture has a box crossing it every
// 12 s (a motion test clip, looped), its events, the notifier, the broker, the subscriber. An
// event's start here is when the events declare it (its `start` notice).
const [crossing] = await ensureMotionClips(['object-large']);
const REAL = ['d1', 'd2'];
writeFileSync(
  configFile,
  `log: { level: warn }
recordings: { path: ${join(dir, 'store2')} }
mqtt: { url: "${broker.url}", topic_prefix: real }
cameras:
${REAL.map((id) => `  - { id: ${id}, source: "file:${crossing!.path}", motion: { min_duration: 0.3, end_after: 1 } }`).join('\n')}
`,
);
const realConfig = await loadConfig({ config: configFile, host: '127.0.0.1', port: 0 });
const realServer = await buildServer(realConfig, pino({ level: 'error' }));
await realServer.app.listen({ host: '127.0.0.1', port: 0 });
const realStart = new Map<string, number>();
const realLatencies: number[] = [];
realServer.events.feed.listen((n) => {
  if (n.type === 'start') realStart.set(n.event.camera, Date.now());
});
sub.on('message', (topic, payload) => {
  const [prefix, camera] = topic.split('/');
  const t0 = realStart.get(camera!);
  if (prefix === 'real' && payload.toString() === 'ON' && t0 !== undefined) {
    realLatencies.push(Date.now() - t0);
    realStart.delete(camera!);
  }
});
await sub.subscribeAsync('real/+/motion');
await new Promise((r) => setTimeout(r, quick ? 15_000 : 40_000));
const realStarted = [...realServer.events.started.values()].reduce((a, b) => a + b, 0);
await realServer.close();
await sub.endAsync(true);
await broker.close();
rmSync(dir, { recursive: true, force: true });

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p: number) => percentile(latencies, p);
const steady = preRollSamples.slice(Math.floor(preRollSamples.length / 3)).flat();
const mb = (b: number) => (b / 1e6).toFixed(2);
console.log(
  [
    `events (Mosquitto, ${CAMERAS.length} cameras with motion, ${EVENTS} events, one every ${SPACING_MS} ms):`,
    `- event start → MQTT ON at the subscriber: ${latencies.length}/${EVENTS} received, p50 ${pct(50)} ms, ` +
      `p95 ${pct(95)} ms, max ${sorted.at(-1)} ms (target p95 ≤ 1000 ms: ${pct(95) <= 1000 ? 'met' : 'NOT met'})`,
    `- pre-roll of record: {mode: events} (1280x720 H.264 3 Mbit/s, keyframe every second, pre_roll 5 s), per camera: ` +
      `${mb(Math.min(...steady))} to ${mb(Math.max(...steady))} MB, spanning ${(Math.min(...spans) / 1000).toFixed(1)} to ` +
      `${(Math.max(...spans) / 1000).toFixed(1)} s (bound ${mb(PRE_ROLL_MAX_BYTES)} MB)`,
    `- the real path (the detector on ${REAL.length} cameras with a box crossing every 12 s): ${realStarted} events, ` +
      `${realLatencies.length} ON received, event start → ON p50 ${percentile(realLatencies, 50)} ms, ` +
      `p95 ${percentile(realLatencies, 95)} ms, max ${Math.max(...realLatencies)} ms`,
  ].join('\n'),
);
process.exit(0);
