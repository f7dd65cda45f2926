/**
 * DNS rebinding: a page of another site whose name was made to point at
 * 127.0.0.1 must not reach an open, loopback-only server. Its requests name
 * that site in Host, which such a server refuses.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startServer, type TestServer } from '../support/index.js';

function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    req.once('error', reject);
    req.end();
  });
}

describe('an open server on loopback', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer(['cam=testsrc?size=160x120&fps=5']);
  });
  after(() => t.close());

  it('answers localhost names', async () => {
    const port = new URL(t.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`, `127.1.2.3:${port}`]) {
      assert.equal(await statusWithHost(`${t.url}/api/cameras`, host), 200, host);
    }
  });

  it('refuses other names in Host, for the API, pages and WebSockets', async () => {
    const port = new URL(t.url).port;
    for (const path of ['/api/cameras', '/api/cameras/cam/snapshot.jpg', '/']) {
      assert.equal(await statusWithHost(`${t.url}${path}`, `rebound.example:${port}`), 403, path);
    }
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/cameras/cam/ws`, {
        headers: { host: `rebound.example:${port}` },
        origin: `http://rebound.example:${port}`,
      });
      ws.once('upgrade', () => resolve(101));
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => resolve(-1));
    });
    assert.equal(status, 403);
  });
});
