/**
 * What each ffmpeg binary can do (src/ffmpeg/capabilities.ts), asked of the real one and of a wrapper that
 * refuses what an older build lacks: the older build degrades (JPEGs timed by arrival, transcoded times on
 * the encoder's frame grid), said once per binary however often it is asked.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { encoderTimeBase, jpegFraming } from '../../src/ffmpeg/capabilities.js';
import { locateFfmpeg } from '../../src/ffmpeg/locate.js';

describe('ffmpeg capabilities', () => {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-capabilities-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('this ffmpeg carries JPEGs in MPEG-TS and gives its encoders a 90 kHz time base', async () => {
    const binary = locateFfmpeg().path;
    const said: string[] = [];
    assert.equal(await jpegFraming(binary, (r) => said.push(r)), 'mpegts');
    assert.equal(await encoderTimeBase(binary, (r) => said.push(r)), true);
    assert.deepEqual(said, []);
  });

  it('an older build degrades, said once however often it is asked', async () => {
    const old = join(dir, 'ffmpeg');
    writeFileSync(
      old,
      `#!/bin/sh\ncase "$*" in *-f\\ mpegts*|*-enc_time_base*) echo "Unrecognized option" >&2; exit 1;; esac\n` +
        `exec ${locateFfmpeg().path} "$@"\n`,
    );
    chmodSync(old, 0o755);
    const said: string[] = [];
    for (let i = 0; i < 3; i++) {
      assert.equal(await jpegFraming(old, (r) => said.push(r)), 'mpjpeg');
      assert.equal(await encoderTimeBase(old, (r) => said.push(r)), false);
    }
    assert.equal(said.length, 2, said.join('\n'));
    assert.match(said[0]!, /JPEGs in MPEG-TS: pictures timed by their arrival/);
    assert.match(said[1]!, /no -enc_time_base/);
  });
});
