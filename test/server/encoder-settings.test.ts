/**
 * A camera's H.264 settings from the config file reach the one encoder that serves its
 * H.264 viewers: the encoder, the bitrate and the keyframe interval, as ffmpeg's own
 * command line shows them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ffmpegChildren, startServer, waitFor, type TestServer } from '../support/index.js';
import { V1Client, wsUrl } from '../support/v1-client.js';

const cmdline = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

describe('H.264 encoder settings', () => {
  let ts: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-encoder-'));

  before(async () => {
    const config = join(dir, 'camrelay.yaml');
    writeFileSync(
      config,
      [
        'cameras:',
        '  - id: cam',
        '    source: testsrc?size=320x240&fps=20',
        '    encoder: libx264',
        '    bitrate: 321',
        '    keyframe_interval: 2',
      ].join('\n'),
    );
    ts = await startServer([], config);
  });
  after(async () => {
    await ts.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the configured encoder with the configured bitrate and keyframe interval', async () => {
    const viewer = await V1Client.open(wsUrl(ts.url, 'cam', '?codec=h264'), { autoAck: true });
    try {
      await viewer.waitFrames(5, 30_000);
      const encoder = await waitFor(
        () =>
          ffmpegChildren()
            .map(cmdline)
            .find((args) => args.includes('libx264')),
        10_000,
        'the encoder process',
      );
      const after = (flag: string) => encoder[encoder.indexOf(flag) + 1];
      assert.equal(after('-c:v'), 'libx264');
      assert.equal(after('-b:v'), '321k');
      assert.match(after('-force_key_frames') ?? '', /n_forced\*2\b/, 'a keyframe every 2 s');
    } finally {
      viewer.close();
    }
  });
});
