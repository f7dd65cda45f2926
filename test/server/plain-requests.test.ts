/**
 * What a browser or a plain HTTP client gets where it does not expect much: the WebSocket
 * endpoints asked for without an upgrade answer 426 with the JSON error every route uses, and
 * /favicon.ico is there, so no page logs a 404 for it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../support/index.js';

describe('plain HTTP requests', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer(['cam=testsrc?size=160x120']);
  });
  after(() => t.close());

  for (const path of ['/video', '/api/cameras/cam/ws']) {
    it(`GET ${path} without an upgrade: 426 Upgrade Required, with a JSON error`, async () => {
      const res = await fetch(`${t.url}${path}`);
      assert.equal(res.status, 426);
      assert.equal(res.headers.get('upgrade'), 'websocket');
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(await res.json(), {
        statusCode: 426,
        error: 'Upgrade Required',
        message: 'this is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)',
      });
    });
  }

  it('still checks the request first: an unknown camera is a 404 over plain HTTP too', async () => {
    const res = await fetch(`${t.url}/api/cameras/nope/ws`);
    assert.equal(res.status, 404);
  });

  it('serves /favicon.ico', async () => {
    const res = await fetch(`${t.url}/favicon.ico`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/svg+xml');
    assert.match(await res.text(), /^<svg /);
  });
});
