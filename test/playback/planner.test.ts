/**
 * Export plans: made once for requests that cover the same samples, laid out one at a time, never
 * holding up the event loop (the layout works in slices, the header is built in a worker thread).
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { layOut } from '../../src/playback/export.js';
import { HeaderBuilder } from '../../src/playback/header-builder.js';
import { ExportPlanner } from '../../src/playback/planner.js';
import { SegmentTables, type SegmentTable } from '../../src/playback/tables.js';
import { mediaSegment } from '../../src/codec/mp4/fmp4.js';
import { toAvc } from '../../src/codec/h264/nal.js';
import { FRAME_TICKS, tenSeconds, writeSegment } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'camrelay-playback-planner-'));
after(() => rmSync(root, { recursive: true, force: true }));
const T = Date.UTC(2026, 11, 1, 6, 0, 0);

describe('export planner', () => {
  it('makes one plan for requests that start a millisecond apart at the same keyframe', async () => {
    const records = [
      writeSegment(root, 1, { camera: 'door', startMs: T, track: tenSeconds() }),
      writeSegment(root, 2, { camera: 'door', startMs: T + 10_000, track: tenSeconds() }),
    ];
    const planner = new ExportPlanner(new SegmentTables());
    after(() => planner.close());
    const plans = await Promise.all(
      [1, 2, 3].map((ms) => planner.plan({ camera: 'door', start: T + 2_000 + ms, end: T + 15_000 }, records)),
    );
    assert.equal(planner.built, 1, 'laid out once');
    assert.ok(plans.every((p) => p === plans[0]));
    const later = await planner.plan({ camera: 'door', start: T + 2_500, end: T + 15_000 }, records);
    assert.equal(later, plans[0], 'a later request for the same samples takes the cached plan');
    const other = await planner.plan({ camera: 'door', start: T + 2_000, end: T + 18_000 }, records);
    assert.notEqual(other!.etag, plans[0]!.etag, 'more samples: another plan');
    assert.equal(planner.built, 2);
  });

  it('gives a request the same plan while its segment grows, and a new request what was written since', async () => {
    const track = tenSeconds();
    const record = writeSegment(root, 5, { camera: 'grow', startMs: T + 60_000, track, frames: 90, open: true });
    const planner = new ExportPlanner(new SegmentTables());
    after(() => planner.close());
    const request = { camera: 'grow', start: T + 60_000, end: T + 80_000 };
    const first = (await planner.plan(request, [record]))!;
    assert.ok(first.growing);
    const more = mediaSegment({
      sequenceNumber: 4,
      baseDecodeTime: 90 * FRAME_TICKS,
      samples: track.aus
        .slice(90, 120)
        .map((au) => ({ data: toAvc(au.nalus), duration: FRAME_TICKS, keyframe: au.keyframe })),
    });
    appendFileSync(record.file, more);
    const grown = { ...record, bytes: record.bytes + more.length, endMs: record.endMs + 1000 };
    assert.equal(await planner.plan(request, [grown]), first, 'the same request: the same file for its Range requests');
    const fresh = (await planner.plan({ ...request, start: request.start + 1 }, [grown]))!;
    assert.notEqual(fresh.etag, first.etag);
    assert.ok(
      fresh.durationSeconds > first.durationSeconds,
      `${fresh.durationSeconds} s after ${first.durationSeconds} s`,
    );
  });

  it('lets the event loop turn while a million-sample export is laid out, and the file is whole', async () => {
    const record = writeSegment(root, 3, { camera: 'door', startMs: T + 20_000, track: tenSeconds() });
    const real = (await new SegmentTables().get(record))!;
    // A day-sized table (its codec configuration real, its samples made up): 1,000,000 samples of 100 bytes.
    const count = 1_000_000;
    const table: SegmentTable = {
      ...real,
      count,
      offsets: Uint32Array.from({ length: count }, (_, i) => 1000 + i * 100),
      sizes: new Uint32Array(count).fill(100),
      decodeTimes: Uint32Array.from({ length: count }, (_, i) => i * 3000),
      durations: new Uint32Array(count).fill(3000),
      keyframes: Uint8Array.from({ length: count }, (_, i) => (i % 30 === 0 ? 1 : 0)),
    };
    delete table.compositionOffsets;
    const headers = new HeaderBuilder();
    after(() => headers.close());
    let turns = 0;
    let laying = true;
    const turn = (): void => {
      turns++;
      if (laying) setImmediate(turn);
    };
    setImmediate(turn);
    const plan = await layOut(
      { camera: 'door', start: T, end: T + 86_400_000 },
      { runs: [{ table, first: 0, last: count }], total: count, reference: table, growing: false, signature: 'x' },
      headers,
    );
    laying = false;
    // Laid out in one go, the loop would turn once before and once after.
    assert.ok(turns >= count / 65_536, `the event loop turned ${turns} times while the plan was made`);
    assert.equal(plan.size, plan.header.length + count * 100);
    assert.equal(Math.round(plan.durationSeconds), Math.round((count * 3000) / 90_000));
    // stsz: after its type, version and flags, a sample size of 0 (sizes listed), then the count.
    const header = Buffer.from(plan.header);
    const stsz = header.indexOf('stsz');
    assert.ok(stsz > 0, 'the header has a stsz box');
    assert.equal(header.readUInt32BE(stsz + 12), count);
  });

  it('fails a header it cannot build with the codec error, and goes on with the next', async () => {
    const record = writeSegment(root, 4, { camera: 'door', startMs: T + 40_000, track: tenSeconds() });
    const table = (await new SegmentTables().get(record))!;
    const headers = new HeaderBuilder();
    after(() => headers.close());
    const notKeyframe = { ...table, keyframes: new Uint8Array(table.count) };
    await assert.rejects(
      layOut(
        { camera: 'door', start: T, end: T + 60_000 },
        {
          runs: [{ table: notKeyframe, first: 0, last: table.count }],
          total: table.count,
          reference: table,
          growing: false,
          signature: 'y',
        },
        headers,
      ),
      (error: Error) => error.name === 'CodecError' && /first sample is not a keyframe/.test(error.message),
    );
    const plan = await layOut(
      { camera: 'door', start: T, end: T + 60_000 },
      {
        runs: [{ table, first: 0, last: table.count }],
        total: table.count,
        reference: table,
        growing: false,
        signature: 'z',
      },
      headers,
    );
    assert.equal(plan.size, plan.header.length + table.sizes.reduce((a, b) => a + b, 0));
  });
});
