// test lane: waiting (three hubs, an edge and nats-server mostly wait on real time: small pictures, few frames)
/**
 * Three hubs over one real nats-server, as child processes: hub A owns an RTSP camera (H.264, 320x240)
 * and the edge e1 publishes its camera to A first (its hubs: A, then B). One set of processes serves every
 * case, in order:
 * - a viewer on B of A's camera: ffmpeg decodes what it got without an error, at the camera's rate;
 * - a viewer joining late on C gets the configuration and the current group of pictures at once (the
 *   camera's keyframes are 10 s apart: a picture within seconds comes only from the catch-up);
 * - once nobody watches remotely, A publishes nothing on the bus (nats-server's /connz counts its messages);
 * - A killed with SIGKILL: its own camera shows unreachable, the edge's camera is back through B, on C;
 * - NATS killed and started again: B keeps serving the edge's camera meanwhile; the hubs re-form after.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashToken } from '../../src/security/secrets.js';
import {
  CamrelayProcess,
  freePort,
  requireInCi,
  skipOutsideCi,
  sleep,
  startCamrelay,
  waitFor,
} from '../support/index.js';
import { rtspCameraMissing, startRtspCamera, type RtspCamera } from '../support/rtsp-camera.js';
import { natsMissing, NatsServer } from '../support/nats.js';
import { H264Viewer } from '../support/h264-viewer.js';

const missing = natsMissing() ?? rtspCameraMissing('h264');
const skip = skipOutsideCi(missing);
const TOKEN = 'cluster-test-edge-token-0123456789';
const FPS = 15;
const WATCH_MS = 3000;

interface ClusterCamera {
  id: string;
  owner: string;
  state: string;
  reachable: boolean;
  pulledBy: string[];
  bus: { bytesOut: number; unitsOut: number; unitsIn: number; gaps: number };
}

async function clusterOf(
  url: string,
): Promise<{ hubs: { name: string; reachable: boolean }[]; cameras: ClusterCamera[] }> {
  return (await (await fetch(`${url}api/cluster`)).json()) as Awaited<ReturnType<typeof clusterOf>>;
}

async function snapshotOk(url: string, camera: string): Promise<boolean> {
  const res = await fetch(`${url}api/cameras/${camera}/snapshot.jpg`).catch(() => undefined);
  const body = res ? Buffer.from(await res.arrayBuffer()) : undefined;
  return res?.status === 200 && body?.[0] === 0xff; // offline: 503 and the NO SIGNAL picture
}

describe('three hubs over NATS', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-cluster-'));
  const procs: CamrelayProcess[] = [];
  let nats: NatsServer;
  let camera: RtspCamera;
  const url: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };
  let hubA: CamrelayProcess;
  let hubB: CamrelayProcess;

  async function hub(name: 'a' | 'b' | 'c', port: number, cameras: string): Promise<CamrelayProcess> {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        `server: { port: ${port} }`,
        'camera_defaults: { idle_grace: 1, stall_timeout: 3 }',
        cameras,
        `publishers: [{ name: e1, token_hash: "${hashToken(TOKEN)}", offline_grace: 2 }]`,
        `cluster: { nats: "${nats.url}", name: hub-${name}, heartbeat: 0.5 }`,
      ].join('\n'),
    );
    const { proc, url: u } = await startCamrelay(['serve', '--config', file]);
    procs.push(proc);
    url[name] = u;
    return proc;
  }

  before(async () => {
    if (missing) return;
    [nats, camera] = await Promise.all([
      NatsServer.start(),
      startRtspCamera({ width: 320, height: 240, fps: FPS, keyint: FPS * 10 }),
    ]);
    const ports = { a: await freePort(), b: await freePort(), c: await freePort() };
    [hubA, hubB] = await Promise.all([
      hub('a', ports.a, `cameras: [{ id: cam, source: "${camera.url}" }]`),
      hub('b', ports.b, ''),
      hub('c', ports.c, ''),
    ]);
    const edgeFile = join(dir, 'edge.yaml');
    writeFileSync(
      edgeFile,
      [
        'server: { port: 0 }',
        'cameras: [{ id: cam, source: "testsrc?size=160x120&fps=5" }]',
        `publish: { hub: ["ws://127.0.0.1:${ports.a}", "ws://127.0.0.1:${ports.b}"], name: e1, token: ${TOKEN}, codec: jpeg }`,
      ].join('\n'),
    );
    procs.push((await startCamrelay(['serve', '--config', edgeFile])).proc);
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGTERM', 3000)));
    await camera?.stop();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every camera on every hub, with its owner', async () => {
    requireInCi(missing);
    for (const u of [url.b, url.c]) {
      const cameras = await waitFor(
        async () => {
          const c = (await clusterOf(u)).cameras;
          return c.some((x) => x.id === 'cam') && c.some((x) => x.id === 'e1.cam') ? c : undefined;
        },
        15_000,
        'the catalogue to list both cameras',
      );
      assert.equal(cameras.find((c) => c.id === 'cam')?.owner, 'hub-a');
      assert.equal(cameras.find((c) => c.id === 'e1.cam')?.owner, 'hub-a');
      const listed = (await (await fetch(`${u}api/cameras`)).json()) as { cameras: { id: string; kind: string }[] };
      assert.deepEqual(listed.cameras.map((c) => [c.id, c.kind]).sort(), [
        ['cam', 'remote'],
        ['e1.cam', 'remote'],
      ]);
    }
  });

  it("gives a viewer on hub B H.264 of hub A's camera that ffmpeg decodes without an error, at full rate", async () => {
    requireInCi(missing);
    const viewer = await H264Viewer.open(url.b, 'cam');
    await waitFor(() => viewer.units > 0 || undefined, 15_000, 'the first unit on hub B');
    const from = viewer.units;
    await sleep(WATCH_MS);
    const got = viewer.units - from;

    // A late joiner on C, while B pulls: the camera's next keyframe is up to 10 s away.
    const late = await H264Viewer.open(url.c, 'cam');
    await waitFor(
      () => late.units > 0 || undefined,
      5000,
      'a picture on hub C before the camera sends its next keyframe',
    );
    assert.ok(late.configs >= 1 && late.firstIsKeyframe, 'config and keyframe first');
    await sleep(500);
    late.close();
    viewer.close();

    assert.ok(viewer.firstIsKeyframe, 'the stream begins at a keyframe');
    assert.ok(got >= (FPS * WATCH_MS) / 1000 - 4, `${got} units in ${WATCH_MS} ms at ${FPS} fps`);
    const decoded = viewer.decode();
    assert.equal(decoded.status, 0);
    assert.equal(decoded.errors, '', `decoder errors: ${decoded.errors}`);
    assert.equal(decoded.frames, viewer.units, 'every unit decoded to a picture');
    const lateDecoded = late.decode();
    assert.equal(lateDecoded.errors, '');
    assert.ok(lateDecoded.frames >= 2, 'the catch-up group of pictures decodes');
    // Once on the bus for both hubs.
    const cam = (await clusterOf(url.a)).cameras.find((c) => c.id === 'cam')!;
    assert.ok(cam.bus.unitsOut > 0);
  });

  it('puts nothing on the bus for a camera nobody watches remotely', async () => {
    requireInCi(missing);
    // B's and C's pulls end after the idle grace (1 s); A's lease ends with them.
    await waitFor(
      async () =>
        (await clusterOf(url.a)).cameras.find((c) => c.id === 'cam')?.pulledBy.length === 0 ? true : undefined,
      10_000,
      'no hub pulling the camera',
    );
    const aConnection = async () => (await nats.connz()).find((c) => c.name === 'camrelay-hub-a')!;
    const before = await aConnection();
    await sleep(2000);
    const after = await aConnection();
    // Heartbeats only (2 a second); the camera alone would be 15 units a second.
    assert.ok(after.in_msgs - before.in_msgs <= 6, `hub A sent ${after.in_msgs - before.in_msgs} messages in 2 s`);
  });

  it("brings an edge's camera back through another hub when its hub is killed", async () => {
    requireInCi(missing);
    hubA.child.kill('SIGKILL');
    await hubA.exited;
    const moved = await waitFor(
      async () => {
        const cameras = (await clusterOf(url.c)).cameras;
        const e1 = cameras.find((c) => c.id === 'e1.cam');
        const own = cameras.find((c) => c.id === 'cam');
        return e1?.owner === 'hub-b' && e1.reachable && own && !own.reachable ? cameras : undefined;
      },
      15_000,
      "the edge's camera owned by hub B, hub A's own unreachable",
    );
    const own = moved.find((c) => c.id === 'cam');
    assert.equal(own?.reachable, false, "hub A's own camera is listed as unreachable");
    await waitFor(() => snapshotOk(url.c, 'e1.cam').then((ok) => ok || undefined), 10_000, 'a picture of e1.cam on C');
  });

  it('keeps serving while NATS is down, and re-forms when it is back', async () => {
    requireInCi(missing);
    await nats.kill();
    // B still has its edge's camera.
    await waitFor(() => snapshotOk(url.b, 'e1.cam').then((ok) => ok || undefined), 10_000, 'a picture of e1.cam on B');
    // The catalogue says what cannot be reached.
    await waitFor(
      async () =>
        (await clusterOf(url.b)).hubs.find((h) => h.name === 'hub-c')?.reachable === false ? true : undefined,
      10_000,
      'B to list C as unreachable',
    );
    assert.ok(await snapshotOk(url.b, 'e1.cam'), "B still serves its edge's camera");
    await nats.run();
    await waitFor(
      () => hubB.logs.find((l) => l.msg === 'cluster: NATS connected' && l.state === 'connected' && l.server),
      15_000,
      'B back on NATS',
    );
    await waitFor(
      async () => ((await clusterOf(url.c)).hubs.find((h) => h.name === 'hub-b')?.reachable ? true : undefined),
      15_000,
      'C hearing B again',
    );
    await waitFor(
      () => snapshotOk(url.c, 'e1.cam').then((ok) => ok || undefined),
      15_000,
      'a picture of e1.cam on C again',
    );
  });
});
