/**
 * Every route × every kind of credential, with the status each must get. The
 * table must name exactly the routes the server serves: a route added later
 * without a row (and so without a decision about who may call it) fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { ShareLinks } from '../../src/security/share-links.js';
import { hashToken, newToken } from '../../src/security/secrets.js';
import { WEB_DIST } from '../../src/outputs/web/index.js';
import { startServer, type TestServer } from '../support/index.js';

const SECRET = 'an-access-table-test-secret-of-32+chars';
const ADMIN = newToken();
const VIEWER_A = newToken();
const VIEWER_B = newToken();
const METRICS = newToken();

type Credential = 'none' | 'malformed' | 'wrong' | 'expired' | 'otherCamera' | 'viewer' | 'admin';
const CREDENTIALS: Credential[] = ['none', 'malformed', 'wrong', 'expired', 'otherCamera', 'viewer', 'admin'];

interface Row {
  route: string;
  path: string;
  ws?: boolean;
  body?: object;
  headers?: Record<string, string>;
  expect: Record<Credential, number>;
}

/** Statuses for the usual shapes of rule. */
const publicRoute = (status: number): Record<Credential, number> => ({
  none: status,
  malformed: status,
  wrong: status,
  expired: status,
  otherCamera: status,
  viewer: status,
  admin: status,
});
const cameraRoute = (ok: number): Record<Credential, number> => ({
  none: 401,
  malformed: 401,
  wrong: 401,
  expired: 401,
  otherCamera: 403,
  viewer: ok,
  admin: ok,
});
const viewerRoute = (ok: number): Record<Credential, number> => ({
  none: 401,
  malformed: 401,
  wrong: 401,
  expired: 401,
  otherCamera: ok,
  viewer: ok,
  admin: ok,
});
const adminRoute = (ok: number): Record<Credential, number> => ({
  none: 401,
  malformed: 401,
  wrong: 401,
  expired: 401,
  otherCamera: 403,
  viewer: 403,
  admin: ok,
});

/** Recordings: a permission apart from live, which viewers lack by default (here nothing is recorded: 404). */
const recordingsRoute = (ok: number): Record<Credential, number> => ({ ...adminRoute(ok), viewer: 403 });

const asset = readdirSync(join(WEB_DIST, 'assets')).find((f) => f.endsWith('.js'));

const TABLE: Row[] = [
  { route: 'GET /', path: '/', expect: publicRoute(200) },
  { route: 'GET /', path: '/?action=snapshot', expect: cameraRoute(200) },
  { route: 'GET /', path: '/?action=stream', expect: cameraRoute(200) },
  { route: 'GET /assets/*', path: `/assets/${asset}`, expect: publicRoute(200) },
  { route: 'GET /player.js', path: '/player.js', expect: publicRoute(200) },
  { route: 'GET /favicon.ico', path: '/favicon.ico', expect: publicRoute(200) },
  { route: 'GET /capture', path: '/capture', expect: publicRoute(200) },
  { route: 'GET /capture.js', path: '/capture.js', expect: publicRoute(200) },
  { route: 'GET /login', path: '/login', expect: publicRoute(200) },
  { route: 'POST /login', path: '/login', body: {}, expect: publicRoute(400) },
  { route: 'GET /logout', path: '/logout', expect: publicRoute(200) }, // a form that POSTs
  { route: 'POST /logout', path: '/logout', expect: publicRoute(303) },
  // A preflight from an origin not in allowed_origins gets no approval, whatever it carries (allowed ones: origin.test.ts).
  {
    route: 'OPTIONS *',
    path: '/api/cameras',
    headers: { origin: 'http://other.example', 'access-control-request-method': 'GET' },
    expect: publicRoute(404),
  },
  { route: 'GET /api/health', path: '/api/health', expect: publicRoute(200) },
  { route: 'GET /api/me', path: '/api/me', expect: viewerRoute(200) },
  { route: 'GET /api/cameras', path: '/api/cameras', expect: viewerRoute(200) },
  { route: 'GET /api/cameras/:id', path: '/api/cameras/a', expect: cameraRoute(200) },
  { route: 'GET /api/cameras/:id/snapshot.jpg', path: '/api/cameras/a/snapshot.jpg', expect: cameraRoute(200) },
  { route: 'GET /api/cameras/:id/stream.mjpeg', path: '/api/cameras/a/stream.mjpeg', expect: cameraRoute(200) },
  { route: 'GET /api/cameras/:id/ws', path: '/api/cameras/a/ws', ws: true, expect: cameraRoute(101) },
  { route: 'GET /api/cameras/:id/motion', path: '/api/cameras/a/motion', expect: cameraRoute(200) },
  { route: 'GET /video', path: '/video', ws: true, expect: cameraRoute(101) },
  { route: 'POST /api/tokens', path: '/api/tokens', body: { cameras: ['a'] }, expect: adminRoute(201) },
  {
    route: 'GET /api/cameras/:id/recordings',
    path: '/api/cameras/a/recordings?start=0&end=1000',
    expect: recordingsRoute(404),
  },
  {
    route: 'GET /api/cameras/:id/recordings/video.mp4',
    path: '/api/cameras/a/recordings/video.mp4?start=0&end=1000',
    expect: recordingsRoute(404),
  },
  {
    route: 'GET /api/cameras/:id/recordings/thumbnail.jpg',
    path: '/api/cameras/a/recordings/thumbnail.jpg?t=1000',
    expect: recordingsRoute(404),
  },
  // Events: each is seen by whoever may see its camera (none here: a 404 for an id); clips are recordings.
  { route: 'GET /api/events', path: '/api/events', expect: viewerRoute(200) },
  { route: 'GET /api/events/live', path: '/api/events/live', expect: viewerRoute(200) },
  { route: 'GET /api/events/:id', path: '/api/events/1', expect: viewerRoute(404) },
  { route: 'GET /api/events/:id/snapshot.jpg', path: '/api/events/1/snapshot.jpg', expect: viewerRoute(404) },
  { route: 'GET /api/events/:id/clip.mp4', path: '/api/events/1/clip.mp4', expect: recordingsRoute(404) },
  { route: 'GET /metrics', path: '/metrics', expect: adminRoute(200) },
  // Edges authenticate with publish tokens only: no viewer or admin credential opens it.
  { route: 'GET /api/publish', path: '/api/publish', ws: true, expect: publicRoute(401) },
  { route: 'GET /api/publishers', path: '/api/publishers', expect: adminRoute(200) },
  // Several hubs (src/cluster): for admins; 404 on a hub without `cluster:`, as this one.
  { route: 'GET /api/cluster', path: '/api/cluster', expect: adminRoute(404) },
];

let t: TestServer;
let expiredShare: string;
const dir = mkdtempSync(join(tmpdir(), 'camrelay-access-'));

function credential(kind: Credential): { headers: Record<string, string>; query: string } {
  switch (kind) {
    case 'none':
      return { headers: {}, query: '' };
    case 'malformed':
      return { headers: { authorization: 'Basic !!!not-base64-user-pass!!!' }, query: '' };
    case 'wrong':
      return { headers: {}, query: `token=${newToken()}` };
    case 'expired':
      return { headers: {}, query: `token=${expiredShare}` };
    case 'otherCamera':
      return { headers: { authorization: `Bearer ${VIEWER_B}` }, query: '' };
    case 'viewer':
      return { headers: { authorization: `Bearer ${VIEWER_A}` }, query: '' };
    case 'admin':
      return { headers: {}, query: `token=${ADMIN}` };
  }
}

function withQuery(path: string, query: string): string {
  if (!query) return path;
  return path + (path.includes('?') ? '&' : '?') + query;
}

/** The status of one request; streams and sockets are closed once the status is known. */
function statusOf(row: Row, kind: Credential, method = row.route.split(' ')[0]!): Promise<number> {
  const { headers, query } = credential(kind);
  const url = new URL(withQuery(row.path, query), t.url);
  if (row.ws) {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url.toString().replace(/^http/, 'ws'), { headers });
      socket.once('upgrade', () => {
        resolve(101);
        socket.close();
      });
      socket.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        socket.terminate();
      });
      socket.once('error', (err) => reject(err));
    });
  }
  const body = row.body ? JSON.stringify(row.body) : undefined;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method, headers: { ...headers, ...row.headers, ...(body ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        resolve(res.statusCode ?? 0);
        res.destroy(); // MJPEG streams never end by themselves
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

describe('access table: every route × every credential', () => {
  before(async () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `auth:
  share_secret: ${SECRET}
  metrics_token_hash: "${hashToken(METRICS)}"
  tokens:
    - { name: admin, role: admin, token_hash: "${hashToken(ADMIN)}" }
    - { name: viewer-a, role: viewer, cameras: [a], token_hash: "${hashToken(VIEWER_A)}" }
    - { name: viewer-b, role: viewer, cameras: [b], token_hash: "${hashToken(VIEWER_B)}" }
cameras:
  - { id: a, source: "testsrc?size=160x120&fps=10" }
  - { id: b, source: "testsrc?size=160x120&fps=10" }
`,
    );
    t = await startServer([], config);
    expiredShare = (await new ShareLinks(SECRET).issue(['a', 'b'], -60, 'expired')).token;
  });
  after(() => t.close());

  it('names exactly the routes the server serves', () => {
    const served = new Set(t.server.app.checkedRoutes.filter((r) => !r.startsWith('HEAD ')));
    const tabled = new Set(TABLE.map((r) => r.route));
    assert.deepEqual(
      [...served].filter((r) => !tabled.has(r)),
      [],
      'routes served without a row in this table',
    );
    assert.deepEqual(
      [...tabled].filter((r) => !served.has(r)),
      [],
      'rows for routes the server does not serve',
    );
    // Every HEAD route is the twin of a GET route, with the GET's rule.
    for (const head of t.server.app.checkedRoutes.filter((r) => r.startsWith('HEAD ')))
      assert.ok(served.has(head.replace(/^HEAD/, 'GET')), head);
  });

  for (const row of TABLE) {
    it(`${row.route} (${row.path})`, async () => {
      const got: Partial<Record<Credential, number>> = {};
      for (const kind of CREDENTIALS) got[kind] = await statusOf(row, kind);
      assert.deepEqual(got, row.expect);
      if (!row.ws && row.route.startsWith('GET ')) {
        // The HEAD twin is guarded alike (no body, same decision).
        const heads: Partial<Record<Credential, number>> = {};
        for (const kind of ['none', 'otherCamera', 'viewer'] as const) heads[kind] = await statusOf(row, kind, 'HEAD');
        assert.deepEqual(heads, {
          none: row.expect.none,
          otherCamera: row.expect.otherCamera,
          viewer: row.expect.viewer,
        });
      }
    });
  }

  it('hides cameras outside the credential from /api/cameras', async () => {
    const res = await fetch(`${t.url}/api/cameras`, { headers: { authorization: `Bearer ${VIEWER_B}` } });
    const body = (await res.json()) as { cameras: { id: string }[] };
    assert.deepEqual(
      body.cameras.map((c) => c.id),
      ['b'],
    );
  });

  it('lets the metrics token read /metrics and nothing else', async () => {
    assert.equal((await fetch(`${t.url}/metrics?token=${METRICS}`)).status, 200);
    assert.equal((await fetch(`${t.url}/api/cameras?token=${METRICS}`)).status, 403);
    assert.equal((await fetch(`${t.url}/api/cameras/a/snapshot.jpg?token=${METRICS}`)).status, 403);
  });

  it('answers 401 with a Bearer challenge and a JSON error', async () => {
    const res = await fetch(`${t.url}/api/cameras`);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="camrelay"');
    const body = (await res.json()) as { statusCode: number; message: string };
    assert.equal(body.statusCode, 401);
  });
});
