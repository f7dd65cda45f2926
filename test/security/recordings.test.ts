// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * Recordings are a permission apart from live: admins may watch them, viewers only with
 * `recordings: true` or a list of cameras; share links may carry them (`recordings: true`) or be
 * limited to one clip of one camera, which opens that camera's recordings inside the clip and
 * nothing else, live included. Real recordings made by the server under test.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashToken, newToken } from '../../src/security/secrets.js';
import { startServer, waitFor, type TestServer } from '../support/index.js';
import { makeH264Clip, writeConfig } from '../recording/helpers.js';

const ADMIN = newToken();
const ADMIN_NO_RECORDINGS = newToken();
const VIEWER = newToken();
const VIEWER_RECORDINGS = newToken();
const VIEWER_OTHER = newToken();

describe('recordings permission and clip links', () => {
  let dir: string;
  let ts: TestServer;
  let start: number;
  let end: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-rec-security-'));
    makeH264Clip(join(dir, 'clip.mp4'), { seconds: 20, fps: 25, gop: 25 });
    const config = writeConfig(
      join(dir, 'camrelay.yaml'),
      `auth:
  share_secret: a-recordings-test-secret-of-32-characters
  tokens:
    - { name: admin, role: admin, token_hash: "${hashToken(ADMIN)}" }
    - { name: admin-live, role: admin, recordings: false, token_hash: "${hashToken(ADMIN_NO_RECORDINGS)}" }
    - { name: viewer, role: viewer, token_hash: "${hashToken(VIEWER)}" }
    - { name: viewer-rec, role: viewer, recordings: true, token_hash: "${hashToken(VIEWER_RECORDINGS)}" }
    - { name: viewer-other, role: viewer, recordings: [other], token_hash: "${hashToken(VIEWER_OTHER)}" }
recordings: { path: ${join(dir, 'store')}, segment_duration: 2 }
cameras:
  - { id: cam, source: "file:${join(dir, 'clip.mp4')}", record: true }
  - { id: other, source: "testsrc?size=160x120&fps=5" }
`,
    );
    ts = await startServer([], config);
    const store = ts.server.recordings!;
    await waitFor(
      () => store.segments('cam', 0, Date.now() + 1000).filter((s) => !s.open).length >= 3,
      40_000,
      'three closed segments',
    );
    const segments = store.segments('cam', 0, Date.now()).filter((s) => !s.open);
    start = segments[0]!.startMs;
    end = segments[segments.length - 1]!.endMs;
  });

  after(async () => {
    await ts?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const status = async (path: string, token?: string): Promise<number> => {
    const response = await fetch(`${ts.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    await response.arrayBuffer();
    return response.status;
  };
  const paths = (camera = 'cam', from = start, to = end): string[] => [
    `/api/cameras/${camera}/recordings?start=${from}&end=${to}`,
    `/api/cameras/${camera}/recordings/video.mp4?start=${from}&end=${to}`,
    `/api/cameras/${camera}/recordings/thumbnail.jpg?t=${from + 100}`,
  ];

  it('admins by default, viewers only with recordings: true or the camera in their list', async () => {
    for (const path of paths()) {
      assert.equal(await status(path, ADMIN), 200, `admin ${path}`);
      assert.equal(await status(path, VIEWER_RECORDINGS), 200, `viewer with recordings ${path}`);
      assert.equal(await status(path, VIEWER), 403, `viewer ${path}`);
      assert.equal(await status(path, VIEWER_OTHER), 403, `viewer of other's recordings ${path}`);
      assert.equal(await status(path, ADMIN_NO_RECORDINGS), 403, `admin with recordings: false ${path}`);
      assert.equal(await status(path), 401);
    }
    // Live is unchanged for them.
    assert.equal(await status('/api/cameras/cam', VIEWER), 200);
    const me = (await (await fetch(`${ts.url}/api/me?token=${VIEWER_OTHER}`)).json()) as { recordings: unknown };
    assert.deepEqual(me.recordings, ['other']);
  });

  const issue = async (body: object, token = ADMIN): Promise<Response> =>
    fetch(`${ts.url}/api/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('a clip link opens that camera’s recordings inside the clip, and nothing else', async () => {
    const clip = { start: start + 2000, end: start + 5000 };
    const response = await issue({ cameras: ['cam'], clip, expires_in: 600 });
    assert.equal(response.status, 201);
    const { token, url } = (await response.json()) as { token: string; url: string };
    assert.match(url, /\/api\/cameras\/cam\/recordings\/video\.mp4\?start=\d+&end=\d+&token=/);

    for (const path of paths('cam', clip.start, clip.end)) assert.equal(await status(path, token), 200, path);
    const video = await fetch(`${ts.url}/api/cameras/cam/recordings/video.mp4?start=${clip.start}&end=${clip.end}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.ok(Number(video.headers.get('x-recording-start')) >= clip.start, 'nothing before the clip');
    await video.arrayBuffer();
    // A wider range is cut to the clip.
    const ranges = (await (
      await fetch(`${ts.url}/api/cameras/cam/recordings?start=${start - 60_000}&end=${end}&token=${token}`)
    ).json()) as { start: number; end: number };
    assert.deepEqual([ranges.start, ranges.end], [clip.start, clip.end]);
    // Outside the clip, another camera, live: refused.
    // (the listing says there is nothing for this link there, as a timeline asking day by day expects)
    assert.equal(await status(`/api/cameras/cam/recordings?start=${start}&end=${start + 1000}`, token), 404);
    assert.equal(await status(`/api/cameras/cam/recordings/video.mp4?start=${start}&end=${start + 1000}`, token), 403);
    assert.equal(await status(`/api/cameras/cam/recordings/thumbnail.jpg?t=${clip.end + 500}`, token), 403);
    for (const path of paths('other', clip.start, clip.end)) assert.equal(await status(path, token), 403, path);
    for (const path of ['/api/cameras', '/api/cameras/cam', '/api/cameras/cam/snapshot.jpg', '/metrics']) {
      assert.equal(await status(path, token), 403, path);
    }
    const me = (await (await fetch(`${ts.url}/api/me?token=${token}`)).json()) as { clip: unknown };
    assert.deepEqual(me.clip, { camera: 'cam', ...clip });
  });

  it('share links: recordings when asked and held by the issuer; a clip: one camera, a valid range', async () => {
    const live = (await (await issue({ cameras: ['cam'] })).json()) as { token: string };
    assert.equal(await status(paths()[0]!, live.token), 403, 'a plain link is live only');
    assert.equal(await status('/api/cameras/cam', live.token), 200);
    const withRecordings = (await (await issue({ cameras: ['cam'], recordings: true })).json()) as { token: string };
    assert.equal(await status(paths()[0]!, withRecordings.token), 200);
    assert.equal((await issue({ cameras: ['cam'], recordings: true }, ADMIN_NO_RECORDINGS)).status, 403);
    assert.equal((await issue({ cameras: ['cam'], clip: { start, end } }, ADMIN_NO_RECORDINGS)).status, 403);
    assert.equal((await issue({ cameras: ['cam', 'other'], clip: { start, end } })).status, 400);
    assert.equal((await issue({ cameras: ['cam'], clip: { start: end, end: start } })).status, 400);
    assert.equal((await issue({ cameras: ['cam'], clip: { start, end: start + 25 * 3600_000 } })).status, 400);
    assert.equal((await issue({ cameras: ['cam'], clip: { start: 'yesterday', end } })).status, 400);
    // Only whole ms or ISO 8601: no exponent, no other type.
    assert.equal(
      (await issue({ cameras: ['cam'], clip: { start: `${Math.floor(start / 1000)}e3`, end } })).status,
      400,
    );
    assert.equal((await issue({ cameras: ['cam'], clip: { start: true, end } })).status, 400);
    // A date that does not exist is refused, not rolled over (April 31 is not May 1).
    const year = new Date().getUTCFullYear() - 1;
    const rolled = { start: `${year}-04-31T10:00:00Z`, end: `${year}-05-01T11:00:00Z` };
    assert.equal((await issue({ cameras: ['cam'], clip: rolled })).status, 400);
    // A clip is of the past: not the future, nor an ongoing one (a minute's leeway for clocks).
    const now = Date.now();
    for (const future of [
      { start: now + 3600_000, end: now + 7200_000 },
      { start: now - 60_000, end: now + 3600_000 },
    ]) {
      const refused = await issue({ cameras: ['cam'], clip: future });
      assert.equal(refused.status, 400, JSON.stringify(future));
      assert.match(((await refused.json()) as { message: string }).message, /must end by now/);
    }
    assert.equal((await issue({ cameras: ['cam'], clip: { start: now - 60_000, end: now + 30_000 } })).status, 201);
    const iso = await issue({
      cameras: ['cam'],
      clip: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
    });
    assert.equal(iso.status, 201);
  });
});
