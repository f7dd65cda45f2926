/**
 * A camera published by an edge (JPEG over the uplink) to an H.264 viewer on the hub: the hub's
 * one encoder for that camera makes codec 2 from the relayed JPEGs, and ffmpeg decodes the result.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hashToken } from '../../src/security/secrets.js';
import { ffmpegJpeg, startServer, waitFor } from '../support/index.js';
import { V1Client, wsUrl } from '../support/v1-client.js';
import { assertNoBrokenPicture, checkConfig, decodeWithFfmpeg } from '../outputs/ws/h264-viewer.js';
import { getJson, RawEdge, TOKEN_A } from './helpers.js';

describe('relay: H.264 viewers of a published camera', () => {
  it('get codec 2 from the hub’s encoder, decodable by ffmpeg', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-relay-h264-'));
    const cfg = join(dir, 'hub.yaml');
    writeFileSync(cfg, `publishers:\n  - name: a\n    token_hash: ${hashToken(TOKEN_A)}\n`);
    const t = await startServer([], cfg);
    const jpegs = [ffmpegJpeg(320, 240, 'testsrc'), ffmpegJpeg(320, 240, 'testsrc2')];
    const raw = await RawEdge.open(t.url, TOKEN_A, 'a');
    let timer: NodeJS.Timeout | undefined;
    try {
      raw.hello('a');
      await raw.waitMessage((m) => m.type === 'hello', 3000, 'the hub hello');
      raw.announce([{ id: 'cam', name: 'cam', width: 320, height: 240, fps: 10, channel: 1 }]);
      const ids = async () => (await getJson<{ cameras: { id: string }[] }>(`${t.url}/api/cameras`)).cameras;
      await waitFor(async () => (await ids()).some((c) => c.id === 'a.cam'), 3000, 'the announce');
      let seq = 0;
      timer = setInterval(() => {
        if (raw.received.some((m) => m.type === 'start')) raw.frame(1, ++seq, jpegs[seq % 2]!);
      }, 100);
      const v = await V1Client.open(wsUrl(t.url, 'a.cam', '?codec=h264'), { autoAck: true });
      try {
        await v.waitFrames(15, 30_000);
        assert.equal(v.texts[0]!.codec, 'h264');
        const config = checkConfig(v.texts.find((m) => m.type === 'config')!);
        assert.equal(config.width, 320);
        assertNoBrokenPicture(v.frames);
        decodeWithFfmpeg(config, v.frames);
        assert.equal(t.server.registry.get('a.cam')!.transcoderStarts, 1);
      } finally {
        v.close();
      }
    } finally {
      clearInterval(timer);
      raw.close();
      await t.close();
    }
  });
});
