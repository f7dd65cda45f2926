// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * A disk that cannot keep up: the recorder's queue between the camera and the disk is bounded, and
 * onUnit never waits for it. Units that come faster than the disk writes (here: a burst handed over
 * in one go, while no write can complete) make it drop the rest of the segment, never single
 * frames: what is written plays, a new segment starts at the next keyframe once the queue has room,
 * the hole is a gap 'dropped', and the drop is counted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AccessUnit, SourceUnit } from '../../src/media/index.js';
import { Recorder } from '../../src/recording/recorder.js';
import { arrivalTimes, waitFor } from '../support/index.js';
import { captureUnits, checkStore, gapRows, indexRows, makeH264Clip, recorderHost } from './helpers.js';

describe('recording on a slow disk', () => {
  let dir: string;
  let units: SourceUnit[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-rec-slow-'));
    const clip = join(dir, 'clip.mp4');
    makeH264Clip(clip, { seconds: 8, gop: 10 });
    units = await captureUnits(clip, 130);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('drops whole segment tails, restarts at a keyframe, records the gap and counts it', async () => {
    const host = recorderHost(join(dir, 'store'));
    const { root, index: db } = host;
    // Room for a few fragments only.
    const recorder = new Recorder('cam', host, { bytes: 64 * 1024 * 1024, ops: 4 });
    const t0 = Date.now() - 60_000;
    let seq = 0;
    const feed = (list: SourceUnit[], from: number): void => {
      list.forEach((u, i) => {
        const unit: AccessUnit = { ...u, seq: ++seq, ...arrivalTimes(t0 + (from + i) * 40), placeholder: false };
        recorder.onUnit(unit);
      });
    };
    const first = units.findIndex((u) => u.keyframe);
    const burst = units.slice(first, first + 120);
    // 4.8 s of video in one go: no write completes meanwhile, so the queue fills.
    feed(burst, 0);
    assert.ok(recorder.counters.drops >= 1, 'a drop');
    await waitFor(() => recorder.status().state === 'recording', 10_000, 'the first fragments written');
    // Then at the camera's pace: recording starts again at a keyframe.
    for (let i = 0; i < 60; i++) {
      feed([burst[i]!], 120 + i);
      await new Promise((r) => setTimeout(r, 5));
    }
    await recorder.close();
    db.close();
    const rows = indexRows(root);
    assert.ok(rows.length >= 2, `${rows.length} segments`);
    const gaps = gapRows(root).filter((g) => g.reason === 'dropped');
    assert.equal(gaps.length, recorder.counters.drops);
    assert.equal(gaps[0]!.start_ms, rows[0]!.end_ms, 'the gap starts where the written part ends');
    assert.equal(gaps[0]!.end_ms, rows[1]!.start_ms, 'and ends where recording starts again');
    await checkStore(root);
  });
});
