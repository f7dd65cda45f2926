/**
 * A camera withdrawn (its edge went away) while its last picture still lasts: the recorder ends the
 * segment and writes a gap 'offline' that starts where the segment ends, even though that end lies
 * a little after now. The gap is what says why the recording stops there. While a camera is
 * offline, the gap in progress (what the ranges API lists) starts there too and never ends before
 * it starts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Recorder } from '../../src/recording/recorder.js';
import type { SourceUnit } from '../../src/media/index.js';
import { arrivalTimes, waitFor } from '../support/index.js';
import { captureUnits, checkStore, makeH264Clip, recorderHost } from './helpers.js';

describe('recording a camera that is withdrawn', () => {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-rec-withdrawn-'));
  let units: SourceUnit[];

  before(async () => {
    const clip = join(dir, 'clip.mp4');
    makeH264Clip(clip, { seconds: 2, gop: 10 });
    units = await captureUnits(clip, 40);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** 40 pictures 40 ms apart, the last one received 20 s from now (+ `fraction` ms): the segment ends after now. */
  async function recordPastNow(recorder: Recorder, fraction: number): Promise<void> {
    const t0 = Date.now() + 20_000 - 39 * 40 + fraction;
    units.forEach((u, i) => recorder.onUnit({ ...u, seq: i + 1, ...arrivalTimes(t0 + i * 40), placeholder: false }));
    await waitFor(() => recorder.status().state === 'recording', 10_000, 'fragments written');
  }

  it('shows the gap in progress from the segment end, never ending before it starts', async () => {
    const host = recorderHost(join(dir, 'store-shown'));
    const recorder = new Recorder('cam', host);
    await recordPastNow(recorder, 0.7);
    assert.equal(recorder.currentGap(Date.now()), undefined, 'no gap while recording');
    // The camera goes offline: the ranges API lists this gap until recording starts again.
    recorder.onStatus({ online: false, since: Date.now(), reason: 'stream ended' });
    const shown = recorder.currentGap(Date.now());
    await recorder.close();
    const [segment] = host.index.segments('cam', 0, Date.now() + 60_000);
    host.index.close();
    assert.ok(shown && segment);
    assert.equal(shown.reason, 'offline');
    assert.equal(shown.startMs, segment.endMs, 'from where the segment ends');
    assert.ok(shown.endMs > shown.startMs, JSON.stringify(shown));
  });

  for (const fraction of [0, 0.3, 0.7]) {
    it(`ends with a gap 'offline' from the segment's end, when that end is after now (+${fraction} ms)`, async () => {
      const host = recorderHost(join(dir, `store-${fraction}`));
      const { root, index: db } = host;
      const recorder = new Recorder('cam', host);
      await recordPastNow(recorder, fraction);
      await recorder.remove('the edge went away');
      const [segment] = db.segments('cam', 0, Date.now() + 60_000);
      const gaps = db.gaps('cam', 0, Date.now() + 60_000);
      db.close();
      assert.ok(segment, 'the segment');
      assert.ok(segment.endMs > Date.now(), 'its end is after now');
      assert.equal(gaps.length, 1, JSON.stringify(gaps));
      assert.equal(gaps[0]!.reason, 'offline');
      assert.equal(gaps[0]!.detail, 'the edge went away');
      assert.equal(gaps[0]!.startMs, segment.endMs, 'the gap starts where the segment ends');
      assert.ok(gaps[0]!.endMs > gaps[0]!.startMs);
      await checkStore(root);
    });
  }
});
