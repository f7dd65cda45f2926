/**
 * A camera whose picture settings change on every picture (an edge misbehaving, or just a camera
 * restarting fast) opens several segments in one millisecond: each gets a file of its own
 * (`<startMs>-1.mp4`…), recording goes on, and repair at the next start reads them back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TrackConfig } from '../../src/media/index.js';
import { Recorder } from '../../src/recording/recorder.js';
import { scanFiles } from '../../src/recording/repair.js';
import type { SourceUnit } from '../../src/media/index.js';
import { arrivalTimes } from '../support/times.js';
import { captureUnits, makeH264Clip, recorderHost, segmentFiles } from './helpers.js';

describe('segments that start in the same millisecond', () => {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-rec-same-start-'));
  let keyframes: SourceUnit[];

  before(async () => {
    const clip = join(dir, 'clip.mp4');
    makeH264Clip(clip, { seconds: 2, gop: 5 });
    keyframes = (await captureUnits(clip, 40)).filter((u) => u.keyframe);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('each get a file, none is lost, and recording never stops', async () => {
    assert.ok(keyframes.length >= 6, `${keyframes.length} keyframes`);
    const host = recorderHost(join(dir, 'store'));
    const recorder = new Recorder('edge.cam', host);
    const t0 = Math.floor(Date.now()) + 0.1;
    // Every picture with settings of its own (two sizes by turns), three to a millisecond.
    keyframes.slice(0, 6).forEach((u, i) => {
      const config: TrackConfig = { ...u.config, width: u.config.width + (i % 2) * 16 };
      recorder.onUnit({
        ...u,
        config,
        seq: i + 1,
        ...arrivalTimes(t0 + Math.floor(i / 3) + (i % 3) * 0.2),
        placeholder: false,
      });
    });
    await recorder.close();
    assert.notEqual(recorder.status().state, 'error', recorder.status().error);
    const rows = host.index.segments('edge.cam', 0, Date.now() + 60_000);
    host.index.close();
    assert.equal(rows.length, 6, 'a segment for each picture');
    const names = segmentFiles(host.root)
      .map((f) => basename(f))
      .sort();
    assert.equal(new Set(names).size, 6);
    assert.deepEqual(names.map((n) => n.replace(/^\d+/, 'T')).sort(), [
      'T-1.mp4',
      'T-1.mp4',
      'T-2.mp4',
      'T-2.mp4',
      'T.mp4',
      'T.mp4',
    ]);
    assert.deepEqual(rows.map((r) => basename(r.file)).sort(), names, 'the index names the files as written');
    // The index lost: repair finds every file again by its name.
    const found = await scanFiles(host.root);
    assert.deepEqual([...found.keys()].map((f) => basename(f)).sort(), names);
  });
});
