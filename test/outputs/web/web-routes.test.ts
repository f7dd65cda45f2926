/** Serving the web viewer: the page, its assets, /player.js, and a clear 503 when it is not built. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { indexPageHandler, WEB_DIST, webRoutes } from '../../../src/outputs/web/index.js';
import { createRegistry } from '../../../src/server/cameras.js';
import { quietLogger, startServer, type TestServer } from '../../support/index.js';

describe('web viewer routes (built)', () => {
  let server: TestServer;

  before(async () => {
    server = await startServer(['cam=testsrc?size=320x240&fps=5']);
  });

  after(async () => {
    await server?.close();
  });

  it('GET / is the viewer page, never cached stale', async () => {
    const res = await server.server.app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.match(res.body, /<div id="app">/);
    assert.match(res.body, /src="\.\/assets\/index-[\w-]+\.js"/);
  });

  it("mjpg-streamer's /?action= still goes to the mjpeg routes", async () => {
    const res = await server.server.app.inject({ method: 'GET', url: '/?action=snapshot' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'image/jpeg');
  });

  it('hashed assets are cached for good', async () => {
    const asset = readdirSync(`${WEB_DIST}assets`).find((f) => f.endsWith('.js'));
    assert.ok(asset, 'a built script');
    const res = await server.server.app.inject({ method: 'GET', url: `/assets/${asset}` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(res.headers['access-control-allow-origin'], undefined, 'no CORS where none is needed');
  });

  it('/player.js is one ES module any origin may load, revalidated on every use', async () => {
    const res = await server.server.app.inject({
      method: 'GET',
      url: '/player.js',
      headers: { origin: 'http://elsewhere.example' },
    });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /javascript/);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.ok(res.headers.etag, 'an ETag to revalidate against');
    // Self-contained: no import of another file (a bundle split would break other origins' pages).
    assert.doesNotMatch(res.body, /\bimport\s*(?:[\w{}*\s,]+from\s*)?["']/);
    assert.match(res.body, /customElements\.define/);
    const again = await server.server.app.inject({
      method: 'GET',
      url: '/player.js',
      headers: { 'if-none-match': String(res.headers.etag) },
    });
    assert.equal(again.statusCode, 304);
  });

  it('unknown paths are still JSON 404s', async () => {
    const res = await server.server.app.inject({ method: 'GET', url: '/assets/nope.js' });
    assert.equal(res.statusCode, 404);
  });
});

describe('web viewer routes (not built)', () => {
  it('answers 503 with what to do for / and /player.js', async () => {
    const missing = '/nonexistent/camrelay-web-dist/';
    const app = Fastify({ loggerInstance: quietLogger() });
    const registry = createRegistry([], quietLogger());
    try {
      await app.register(webRoutes, { registry, dist: missing });
      app.get('/', indexPageHandler(missing));
      for (const url of ['/', '/player.js']) {
        const res = await app.inject({ method: 'GET', url });
        assert.equal(res.statusCode, 503, url);
        assert.deepEqual(res.json(), {
          statusCode: 503,
          error: 'Service Unavailable',
          message: 'the web viewer is not built: run `npm run build`',
        });
      }
    } finally {
      await app.close();
      await registry.close();
    }
  });
});
