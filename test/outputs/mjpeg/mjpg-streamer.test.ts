import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { mjpegRoutes } from '../../../src/outputs/mjpeg/index.js';
import { decodeJpeg, startServer, type TestServer } from '../../support/index.js';
import { MJPEG_TYPE, openMjpeg } from './mjpeg-client.js';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

async function jsonError(res: Response, status: number): Promise<ErrorBody> {
  assert.equal(res.status, status);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await res.json()) as ErrorBody;
  assert.equal(body.statusCode, status);
  return body;
}

async function firstPartSize(url: string): Promise<[number, number]> {
  const client = await openMjpeg(url);
  try {
    assert.match(String(client.response.headers['content-type']), MJPEG_TYPE);
    const image = decodeJpeg((await client.first).body);
    return [image.width, image.height];
  } finally {
    client.close();
  }
}

async function snapshotSize(url: string): Promise<[number, number]> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/jpeg');
  const image = decodeJpeg(Buffer.from(await res.arrayBuffer()));
  return [image.width, image.height];
}

describe('mjpg-streamer routes', () => {
  let ts: TestServer;
  before(async () => {
    // The first camera sorts last by id: "first" must mean configuration order.
    ts = await startServer(['front=testsrc?size=320x240&fps=30', 'back=testsrc?size=160x120&fps=30']);
  });
  after(() => ts.close());

  it('/?action=stream streams the first camera', async () => {
    assert.deepEqual(await firstPartSize(`${ts.url}/?action=stream`), [320, 240]);
  });

  it('/?action=snapshot is a snapshot of the first camera', async () => {
    assert.deepEqual(await snapshotSize(`${ts.url}/?action=snapshot`), [320, 240]);
  });

  it('ignores other query parameters, as cache busters', async () => {
    assert.deepEqual(await snapshotSize(`${ts.url}/?action=snapshot&n=${Date.now()}`), [320, 240]);
  });

  it('stream_N and snapshot_N address camera N from 0', async () => {
    assert.deepEqual(await firstPartSize(`${ts.url}/?action=stream_1`), [160, 120]);
    assert.deepEqual(await snapshotSize(`${ts.url}/?action=snapshot_1`), [160, 120]);
    assert.deepEqual(await snapshotSize(`${ts.url}/?action=snapshot_0`), [320, 240]);
    assert.match((await jsonError(await fetch(`${ts.url}/?action=stream_2`), 404)).message, /no camera number 2/);
  });

  it('answers an unknown action with 400 JSON', async () => {
    for (const action of ['bogus', 'streams', 'stream_', 'command']) {
      const body = await jsonError(await fetch(`${ts.url}/?action=${action}`), 400);
      assert.match(body.message, /unknown action/);
    }
  });

  it('answers an unknown camera stream with 404 JSON and a bad id with 400', async () => {
    const body = await jsonError(await fetch(`${ts.url}/api/cameras/nope/stream.mjpeg`), 404);
    assert.match(body.message, /nope/);
    await jsonError(await fetch(`${ts.url}/api/cameras/Not%20An%20Id/stream.mjpeg`), 400);
  });

  it('hands / without an action to the index option', async () => {
    const app = Fastify();
    await app.register(mjpegRoutes, {
      registry: ts.server.registry,
      index: (request, reply) => reply.type('text/plain').send(`viewer for ${request.url}`),
    });
    try {
      const index = await app.inject('/');
      assert.equal(index.statusCode, 200);
      assert.equal(index.body, 'viewer for /');
      const bad = await app.inject('/?action=nope');
      assert.equal(bad.statusCode, 400);
      const snapshot = await app.inject('/?action=snapshot');
      assert.equal(snapshot.statusCode, 200);
      assert.equal(snapshot.headers['content-type'], 'image/jpeg');
    } finally {
      await app.close();
    }
  });
});
