/**
 * Three hubs over one nats-server (src/cluster), each its own process: hub A has one 1280x720 30 fps H.264
 * camera (a pre-encoded clip at 2.4 Mbit/s through the `file:` source, passed through untouched), and N
 * H.264 viewers (protocol v1, acking every unit; 200 by default, CLUSTER_VIEWERS) watch it on each of A,
 * B and C, each hub's from a load process of its own (bench/load.ts). Measured in the same run:
 * - every viewer's frame rate (target ≥ 29 fps);
 * - the bus traffic for the camera from nats-server's own monitoring (/connz): what hub A sent and what
 *   the server delivered, against the camera's bitrate × the hubs that want it (2: B and C), not × viewers;
 * - each hub's CPU per viewer (target: B's and C's within 1.2× of A's);
 * - the idle cluster: what hub A sends while nobody watches remotely (heartbeats only);
 * - edge failover: an edge publishing to B (then C) while B is killed with SIGKILL: the time until its
 *   camera gives a live picture again on C (target ≤ 5 s).
 *
 *   npm run build && node --import tsx bench/cluster.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken } from '../src/security/secrets.js';
import { natsMissing, NatsServer, type NatsConnz } from '../test/support/nats.js';
import { portOf } from '../test/support/ports.js';
import { startCamrelay, type CamrelayProcess } from '../test/support/process.js';
import { makeH264Clip, runAlone, type ClipPassOptions } from './clip.js';
import type { LoadPlan, LoadResult } from './load.js';

const TOKEN = 'cluster-bench-edge-token-0123456789';
const HEARTBEAT_S = 1;

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kbit = (bytesPerSecond: number) => `${((bytesPerSecond * 8) / 1000).toFixed(0)} kbit/s`;

async function connection(nats: NatsServer, hub: string): Promise<NatsConnz> {
  const c = (await nats.connz()).find((x) => x.name === `camrelay-${hub}`);
  if (!c) throw new Error(`hub ${hub} is not connected to NATS`);
  return c;
}

async function livePicture(url: string, camera: string): Promise<boolean> {
  const res = await fetch(`${url}api/cameras/${camera}/snapshot.jpg`, { signal: AbortSignal.timeout(2000) }).catch(
    () => undefined,
  );
  return res?.status === 200;
}

export async function runClusterPasses({ root, quick, warmupMs, measureMs }: ClipPassOptions): Promise<string[]> {
  const missing = natsMissing();
  if (missing) return [`cluster: not measured: ${missing}`];
  const viewers = Number(process.env.CLUSTER_VIEWERS ?? (quick ? 50 : 200));
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-bench-cluster-'));
  const procs: CamrelayProcess[] = [];
  const lines: string[] = [];
  const nats = await NatsServer.start();
  try {
    const clip = join(dir, 'h264.mp4');
    makeH264Clip(clip, 60, 2400);
    const hub = async (name: string, cameras: string) => {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(
        file,
        [
          'log: { level: warn }',
          'limits: { connections_per_address: 2000, viewers_per_camera: 2000, viewers_total: 4000 }',
          'camera_defaults: { idle_grace: 2 }',
          cameras,
          `publishers: [{ name: e1, token_hash: "${hashToken(TOKEN)}", offline_grace: 2 }]`,
          `cluster: { nats: "${nats.url}", name: ${name}, heartbeat: ${HEARTBEAT_S} }`,
        ].join('\n'),
      );
      const started = await startCamrelay(['serve', '--config', file, '--port', '0'], { timeoutMs: 20_000 });
      procs.push(started.proc);
      return started;
    };
    const [a, b, c] = await Promise.all([
      hub('hub-a', `cameras: [{ id: cam, source: "file:${clip}" }]`),
      hub('hub-b', ''),
      hub('hub-c', ''),
    ]);
    await sleep(3 * HEARTBEAT_S * 1000);

    // Idle: nobody watches anything; hub A sends its heartbeats only.
    const idle0 = await connection(nats, 'hub-a');
    await sleep(5000);
    const idle1 = await connection(nats, 'hub-a');
    const idleMsgs = (idle1.in_msgs - idle0.in_msgs) / 5;
    lines.push(
      `cluster idle: hub A sent ${idleMsgs.toFixed(1)} messages/s (${kbit((idle1.in_bytes - idle0.in_bytes) / 5)}) ` +
        `with nobody watching remotely: heartbeats only (1/s); no camera traffic: ${idleMsgs <= 1.5 ? 'met' : 'MISSED'}`,
    );

    // Viewers on every hub.
    const plan = (url: string): LoadPlan => ({
      port: portOf(url),
      camera: 'cam',
      protocol: 'ws',
      codec: 'h264',
      viewers,
      warmupMs,
      measureMs,
      slowBytesPerSecond: 0,
    });
    const hubs = [
      { name: 'A', ...a },
      { name: 'B', ...b },
      { name: 'C', ...c },
    ];
    const loads = hubs.map(({ url }) => {
      const load = spawn(
        process.execPath,
        ['--import', 'tsx', join(root, 'bench/load.ts'), JSON.stringify(plan(url))],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      load.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return new Promise<LoadResult>((r) => load.once('exit', () => r(JSON.parse(out) as LoadResult)));
    });
    await sleep(warmupMs + 200);
    const cpu0 = hubs.map((h) => cpuSeconds(h.proc.pid));
    const trackBytes = async () => {
      const info = (await (await fetch(`${a.url}api/cameras/cam`)).json()) as {
        tracks: { codec: string; quality: string; bytes: number }[];
      };
      return info.tracks.find((t) => t.codec === 'h264' && t.quality === 'main')?.bytes ?? 0;
    };
    const bus0 = { a: await connection(nats, 'hub-a'), varz: await nats.varz(), camera: await trackBytes() };
    const t0 = performance.now();
    await sleep(measureMs - 400);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = hubs.map((h, i) => (cpuSeconds(h.proc.pid) - cpu0[i]!) / seconds);
    const bus1 = { a: await connection(nats, 'hub-a'), varz: await nats.varz(), camera: await trackBytes() };
    const clusterA = (await (await fetch(`${a.url}api/cluster`)).json()) as {
      congestions: number;
      cameras: { id: string; pulledBy: string[]; bus: { dropped: number; catchUps: number } }[];
    };
    const results = await Promise.all(loads);
    const sentByA = (bus1.a.in_bytes - bus0.a.in_bytes) / seconds;
    const delivered = (bus1.varz.out_bytes! - bus0.varz.out_bytes!) / seconds;
    // The camera's bytes per second over the same window (its own track on hub A).
    const bitrate = (bus1.camera - bus0.camera) / seconds;
    for (const [i, h] of hubs.entries()) {
      const fps = results[i]!.fps.slice().sort((x, y) => x - y);
      lines.push(
        `cluster, hub ${h.name}: ${viewers} H.264 viewers of hub A's 1280x720 30 fps camera: fps min ${fps[0]?.toFixed(1)} ` +
          `median ${fps[Math.floor(fps.length / 2)]?.toFixed(1)}, failed ${results[i]!.failed}, CPU ${cpu[i]!.toFixed(2)} cores ` +
          `(${((cpu[i]! / viewers) * 1000).toFixed(2)} ms/s per viewer); every viewer ≥ 29 fps: ${fps[0]! >= 29 && results[i]!.failed === 0 ? 'met' : 'MISSED'}`,
      );
    }
    const perViewer = cpu.map((x) => x / viewers);
    const ratio = Math.max(perViewer[1]!, perViewer[2]!) / perViewer[0]!;
    lines.push(
      `cluster CPU per viewer, B and C against A: ${(perViewer[1]! / perViewer[0]!).toFixed(2)}×, ` +
        `${(perViewer[2]! / perViewer[0]!).toFixed(2)}×; target ≤ 1.2×: ${ratio <= 1.2 ? 'met' : 'MISSED'}`,
    );
    const expected = bitrate * 2;
    lines.push(
      `cluster bus (nats /connz, /varz): hub A published ${kbit(sentByA)} for a camera of ${kbit(bitrate)} ` +
        `(${(sentByA / bitrate).toFixed(2)}× its bitrate, once for the cluster); the server delivered ${kbit(delivered)} ` +
        `(${(delivered / bitrate).toFixed(2)}× the bitrate, heartbeats included) for 2 hubs wanting it, ` +
        `${viewers * 2} remote viewers (hub A's link to NATS behind ${clusterA.congestions} times, ` +
        `${clusterA.cameras.find((c) => c.id === 'cam')?.bus.dropped ?? 0} units kept off the bus, ` +
        `${clusterA.cameras.find((c) => c.id === 'cam')?.bus.catchUps ?? 0} catch-ups in all); ` +
        `target bitrate × 2: ${delivered <= expected * 1.15 && delivered >= expected * 0.85 ? 'met' : 'MISSED'}`,
    );
    await sleep(1000);

    // Edge failover: an edge on B (then C); B killed.
    const edgeFile = join(dir, 'edge.yaml');
    writeFileSync(
      edgeFile,
      [
        'log: { level: warn }',
        'cameras: [{ id: cam, source: "testsrc?size=320x240&fps=10" }]',
        `publish: { hub: ["ws://127.0.0.1:${portOf(b.url)}", "ws://127.0.0.1:${portOf(c.url)}"], name: e1, token: ${TOKEN}, codec: jpeg }`,
      ].join('\n'),
    );
    procs.push((await startCamrelay(['serve', '--config', edgeFile, '--port', '0'])).proc);
    const deadline = Date.now() + 20_000;
    while (!(await livePicture(a.url, 'e1.cam')) && Date.now() < deadline) await sleep(200);
    const killedAt = performance.now();
    b.proc.child.kill('SIGKILL');
    let backAfter: number | undefined;
    while (performance.now() - killedAt < 20_000) {
      if (await livePicture(c.url, 'e1.cam')) {
        backAfter = performance.now() - killedAt;
        break;
      }
      await sleep(100);
    }
    let onA: number | undefined;
    while (backAfter !== undefined && performance.now() - killedAt < 20_000) {
      if (await livePicture(a.url, 'e1.cam')) {
        onA = performance.now() - killedAt;
        break;
      }
      await sleep(100);
    }
    lines.push(
      backAfter === undefined
        ? 'cluster edge failover: its camera never came back within 20 s: MISSED'
        : `cluster edge failover: hub B killed (SIGKILL); the edge's camera live again on hub C after ` +
            `${(backAfter / 1000).toFixed(2)} s, on hub A (over the bus, from C) after ${((onA ?? NaN) / 1000).toFixed(2)} s; ` +
            `target ≤ 5 s: ${backAfter <= 5000 && onA !== undefined && onA <= 5000 ? 'met' : 'MISSED'}`,
    );
    return lines;
  } catch (err) {
    return [...lines, `cluster: not measured: ${(err as Error).message.split('\n')[0]}`];
  } finally {
    await Promise.all(procs.map((p) => p.stop('SIGTERM', 3000)));
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await runAlone(import.meta.url, runClusterPasses);
