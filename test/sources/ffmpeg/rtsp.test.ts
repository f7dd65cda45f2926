/**
 * The RTSP source against a real RTSP camera: GStreamer's RTSP server streaming H.264 on
 * loopback (test/support/rtsp-camera.ts), read by real ffmpeg through a real camrelay. It serves
 * the camera's picture at its size, moving; it goes offline saying why when the camera dies and
 * comes back by itself when the camera does; a wrong password says "authentication failed", and
 * no credential reaches the API or the viewers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeJpeg,
  requireInCi,
  rtspCameraMissing,
  skipOutsideCi,
  startRtspCamera,
  startServer,
  V1Client,
  waitFor,
  wsUrl,
  type RtspCamera,
  type TestServer,
  type V1Frame,
} from '../../support/index.js';

const missing = rtspCameraMissing();
const skip = skipOutsideCi(missing);

const USER = 'operator7';
const PASSWORD = 'Pw-s3cret-42';
const WRONG = 'Wrong-pass-99';

interface Info {
  kind: string;
  state: string;
  width: number | null;
  height: number | null;
  offlineReason: string | null;
  lastError: string | null;
}

async function info(ts: TestServer, id: string): Promise<Info> {
  return (await (await fetch(`${ts.url}/api/cameras/${id}`)).json()) as Info;
}

/** Most of these frames are different pictures. */
function moving(frames: V1Frame[]): boolean {
  return new Set(frames.map((f) => f.hash)).size >= Math.max(3, frames.length / 2);
}

function assertNoCredential(text: string, secrets: string[]): void {
  for (const secret of secrets) assert.ok(!text.includes(secret), `"${secret}" leaked in: ${text}`);
}

/** Runs `body` with an RTSP camera and a camrelay reading it as `id`; stops both, whatever happens. */
async function withCamera(
  camera: Parameters<typeof startRtspCamera>[0],
  source: (cam: RtspCamera) => string,
  body: (ts: TestServer, cam: RtspCamera) => Promise<void>,
): Promise<void> {
  const cam = await startRtspCamera(camera);
  try {
    const ts = await startServer([`cam=${source(cam)}`]);
    try {
      await body(ts, cam);
    } finally {
      await ts.close();
    }
  } finally {
    await cam.stop();
  }
}

describe('RTSP source, against a real RTSP camera', () => {
  it('serves the camera at its size, moving, to a viewer and a snapshot', { skip }, async () => {
    requireInCi(missing);
    await withCamera(
      { width: 640, height: 360, fps: 15, keyint: 15 },
      (cam) => cam.url,
      async (ts) => {
        const viewer = await V1Client.open(wsUrl(ts.url, 'cam'));
        try {
          await waitFor(async () => (await info(ts, 'cam')).state === 'online', 20_000, 'the camera online');
          const from = viewer.frames.length;
          await viewer.waitFrames(from + 10, 20_000);
          const live = viewer.frames.slice(from);
          // A moving ball: the pictures differ (the NO SIGNAL picture repeats; ffmpeg may repeat a frame).
          assert.ok(moving(live), 'frames differ');
          for (const f of live.slice(-3)) {
            const image = decodeJpeg(f.jpeg);
            assert.deepEqual([image.width, image.height], [640, 360]);
          }
          assert.equal(viewer.bad, 0);

          const res = await fetch(`${ts.url}/api/cameras/cam/snapshot.jpg`);
          assert.equal(res.status, 200);
          assert.equal(res.headers.get('content-type'), 'image/jpeg');
          const snapshot = decodeJpeg(Buffer.from(await res.arrayBuffer()));
          assert.deepEqual([snapshot.width, snapshot.height], [640, 360]);

          const camera = await info(ts, 'cam');
          assert.equal(camera.kind, 'rtsp');
          assert.deepEqual([camera.width, camera.height], [640, 360]);
        } finally {
          viewer.close();
        }
      },
    );
  });

  it('goes offline saying why when the camera dies, and comes back by itself', { skip }, async () => {
    requireInCi(missing);
    const options = { width: 320, height: 240, fps: 15, keyint: 15, user: USER, password: PASSWORD };
    await withCamera(
      options,
      (cam) => cam.urlWith(USER, PASSWORD),
      async (ts, cam) => {
        const viewer = await V1Client.open(wsUrl(ts.url, 'cam'));
        try {
          await waitFor(async () => (await info(ts, 'cam')).state === 'online', 20_000, 'the camera online');
          await cam.kill();
          const offline = await waitFor(
            async () => {
              const i = await info(ts, 'cam');
              return i.state === 'offline' && i.offlineReason ? i : undefined;
            },
            15_000,
            'the camera offline',
          );
          // ffmpeg sees the TCP connection end: the stream ended (or the connection was reset).
          assert.match(
            offline.offlineReason!,
            /^(stream ended|connection reset by peer) \(ffmpeg exited with code \d\)/,
          );
          // Restarted with backoff: the camera is gone, so the first retry is refused.
          const retried = await waitFor(
            async () => {
              const i = await info(ts, 'cam');
              return i.lastError?.startsWith('connection refused') ? i : undefined;
            },
            15_000,
            'a refused restart',
          );
          assert.equal(retried.state, 'offline');
          assert.match(retried.lastError!, /rtsp:\/\/\*\*\*@127\.0\.0\.1:\d+\/cam/);

          const texts = viewer.texts.length;
          const back = await startRtspCamera({ ...options, port: cam.port });
          try {
            // The next retries come 2 s, 4 s, ... apart: generous room for a busy machine.
            await waitFor(async () => (await info(ts, 'cam')).state === 'online', 30_000, 'the camera online again');
            await viewer.waitText('status', 5000, (m) => m.online === true, texts);
            const frames = viewer.frames.length;
            await viewer.waitFrames(frames + 5, 10_000);
            const live = viewer.frames.slice(frames);
            assert.ok(moving(live), 'moving frames again');
          } finally {
            await back.stop();
          }
          const statuses = viewer.texts.filter((m) => m.type === 'status');
          assert.ok(statuses.some((m) => m.online === false && typeof m.reason === 'string'));
          for (const text of [JSON.stringify(offline), JSON.stringify(retried), JSON.stringify(statuses)])
            assertNoCredential(text, [USER, PASSWORD]);
        } finally {
          viewer.close();
        }
      },
    );
  });

  it('says "authentication failed" for a wrong password, and shows it nowhere', { skip }, async () => {
    requireInCi(missing);
    await withCamera(
      { width: 320, height: 240, fps: 15, keyint: 15, user: USER, password: PASSWORD },
      (cam) => cam.urlWith(USER, WRONG),
      async (ts) => {
        const viewer = await V1Client.open(wsUrl(ts.url, 'cam'));
        try {
          const status = await viewer.waitText(
            'status',
            15_000,
            (m) => m.online === false && String(m.reason).includes('ffmpeg'),
          );
          assert.match(
            String(status.reason),
            /^authentication failed \(ffmpeg exited with code 1\): .*401 Unauthorized/,
          );
          const reason = (await info(ts, 'cam')).offlineReason;
          assert.match(reason ?? '', /^authentication failed/);
          const all = JSON.stringify(await (await fetch(`${ts.url}/api/cameras`)).json());
          assertNoCredential(all, [WRONG, USER]);
          assertNoCredential(JSON.stringify(viewer.texts), [WRONG, USER]);
          assert.equal((await info(ts, 'cam')).width, null, 'no picture came from the camera');
        } finally {
          viewer.close();
        }
      },
    );
  });
});
