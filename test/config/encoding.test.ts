/**
 * The H.264 encoding keys of the config file (`encoder`, `bitrate`, `keyframe_interval`), in
 * camera_defaults and per camera: defaults, a camera's own values over the defaults, and errors
 * that name the key, the value and what was expected.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'camrelay-enc-')), 'camrelay.yaml');
  writeFileSync(path, text);
  return path;
}

describe('config: H.264 encoding', () => {
  it('defaults to auto, a bitrate from the size, one keyframe a second', async () => {
    const config = await loadConfig({ cameras: ['a=testsrc'] });
    const camera = config.cameras[0]!;
    assert.equal(camera.encoder, 'auto');
    assert.equal(camera.bitrate, undefined);
    assert.equal(camera.keyframeInterval, 1);
  });

  it("takes camera_defaults, and a camera's own values over them; --camera gets the defaults", async () => {
    const path = file(
      [
        'camera_defaults: { encoder: h264_vaapi, bitrate: 3000, keyframe_interval: 2 }',
        'cameras:',
        '  - { id: a, source: testsrc }',
        '  - { id: b, source: testsrc, encoder: libx264, bitrate: 800, keyframe_interval: 0.5 }',
      ].join('\n'),
    );
    const config = await loadConfig({ config: path, cameras: ['c=testsrc'] });
    const [a, b, c] = config.cameras;
    assert.deepEqual([a!.encoder, a!.bitrate, a!.keyframeInterval], ['h264_vaapi', 3000, 2]);
    assert.deepEqual([b!.encoder, b!.bitrate, b!.keyframeInterval], ['libx264', 800, 0.5]);
    assert.deepEqual([c!.encoder, c!.bitrate, c!.keyframeInterval], ['h264_vaapi', 3000, 2]);
  });

  it('names the key, the value and what was expected', async () => {
    const path = file(
      [
        'camera_defaults: { encoder: h265_magic, keyframe_interval: 5 }',
        'cameras:',
        '  - { id: a, source: testsrc, bitrate: 12.5 }',
        '  - { id: b, source: "/dev/video0?format=h264" }',
      ].join('\n'),
    );
    await assert.rejects(loadConfig({ config: path }), (err: Error) => {
      assert.match(
        err.message,
        /camera_defaults\.encoder: got "h265_magic", expected one of auto, libx264, h264_rkmpp/,
      );
      assert.match(
        err.message,
        /camera_defaults\.keyframe_interval: got 5, expected seconds, more than 0 and at most 2/,
      );
      assert.match(err.message, /cameras\[0\]\.bitrate: got 12\.5, expected kbit\/s, a whole number from 100 to 50000/);
      assert.doesNotMatch(err.message, /cameras\[1\]/, 'format=h264 is a valid source');
      return true;
    });
  });
});
