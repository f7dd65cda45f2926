/**
 * A camera behind NAT, published by its edge, read over RTSP at the hub by its hub id (`<edge>.<camera>`):
 * nothing flows on the uplink until a client reads it; then ffmpeg decodes the relayed stream without an
 * error, and the hub counts the RTSP viewer. The edge is a process of its own (serve --publish-to).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashToken } from '../../../src/security/secrets.js';
import { CamrelayProcess, startServer, waitFor, type TestServer } from '../../support/index.js';
import { ffmpegRtsp } from '../../support/rtsp-players.js';
import { publisher, TOKEN_A } from '../../relay/helpers.js';

describe('RTSP at the hub: a relayed camera', () => {
  let hub: TestServer;
  let edge: CamrelayProcess;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtsp-relay-'));
    const file = join(dir, 'hub.yaml');
    writeFileSync(
      file,
      ['rtsp: { port: 0 }', 'publishers:', `  - { name: shed, token_hash: "${hashToken(TOKEN_A)}" }`].join('\n'),
    );
    hub = await startServer([], file);
    edge = CamrelayProcess.spawn([
      'serve',
      '--port',
      '0',
      '--camera',
      'door=testsrc?size=320x240&fps=15',
      '--publish-to',
      hub.url.replace('http', 'ws'),
      '--name',
      'shed',
      '--token',
      TOKEN_A,
    ]);
    await waitFor(async () => (await publisher(hub.url, 'shed')).cameras.length === 1, 20_000, 'the edge’s camera');
  });

  after(async () => {
    await edge?.stop();
    await hub?.close();
  });

  it('is read at the hub by its hub id, the uplink started for it; ffmpeg decodes it cleanly', async () => {
    const camera = hub.server.registry.get('shed.door')!;
    assert.equal(camera.state, 'idle', 'nothing flows before a client reads it');
    const port = hub.server.rtsp!.port;
    const watching = waitFor(() => camera.viewers().some((v) => v.protocol === 'rtsp'), 20_000, 'the RTSP viewer');
    const [result] = await Promise.all([ffmpegRtsp(`rtsp://127.0.0.1:${port}/shed.door`, 'tcp', 2), watching]);
    assert.equal(result.errors, '');
    assert.equal(result.code, 0);
    assert.ok(result.frames >= 15, `${result.frames} pictures`);
  });
});
