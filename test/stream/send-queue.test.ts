import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SendQueue } from '../../src/stream/send-queue.js';
import type { AccessUnit, TrackConfig } from '../../src/media/index.js';
import { arrivalTimes } from '../support/times.js';

const H264: TrackConfig = { codec: 'h264', width: 64, height: 48, codecString: 'avc1.42C01E' };
const JPEG: TrackConfig = { codec: 'jpeg', width: 64, height: 48, codecString: 'jpeg' };

let seq = 0;
function unit(keyframe: boolean, bytes = 100, capturedAt = 0, config = H264): AccessUnit {
  return { seq: ++seq, config, keyframe, ...arrivalTimes(capturedAt), data: Buffer.alloc(bytes), placeholder: false };
}

/** A stream of `gops` groups of `length` units, keyframe first. */
function stream(gops: number, length: number, bytes = 100, startAt = 0, stepMs = 40): AccessUnit[] {
  const out: AccessUnit[] = [];
  for (let i = 0; i < gops * length; i++) out.push(unit(i % length === 0, bytes, startAt + i * stepMs));
  return out;
}

/** Every unit that leaves right after a unit was dropped must be a keyframe; returns what was sent. */
function drain(q: SendQueue, now?: number): AccessUnit[] {
  const out: AccessUnit[] = [];
  for (let u = q.shift(now); u; u = q.shift(now)) out.push(u);
  return out;
}

function assertDecodable(sent: AccessUnit[]): void {
  // Decodable: starts at a keyframe, and any gap in the sequence is followed by a keyframe.
  assert.ok(sent.length === 0 || sent[0]!.keyframe, 'the first unit sent is a keyframe');
  for (let i = 1; i < sent.length; i++) {
    if (sent[i]!.seq !== sent[i - 1]!.seq + 1)
      assert.ok(sent[i]!.keyframe, `after a skip (seq ${sent[i - 1]!.seq} → ${sent[i]!.seq}) comes a keyframe`);
  }
}

describe('SendQueue', () => {
  it('latest: one unit waits, a newer one replaces it (counted)', () => {
    const q = new SendQueue({ policy: 'latest' });
    const a = unit(true, 10, 0, JPEG);
    const b = unit(true, 10, 0, JPEG);
    q.push(a);
    q.push(b);
    assert.equal(q.size, 1);
    assert.equal(q.dropped, 1);
    assert.equal(q.shift(), b);
    assert.equal(q.shift(), undefined);
  });

  it('gop: starts at a keyframe and sends a whole GOP in order when the consumer keeps up', () => {
    const q = new SendQueue({ policy: 'gop' });
    const units = stream(3, 10);
    const sent: AccessUnit[] = [];
    for (const u of units.slice(4)) {
      q.push(u, u.capturedAt);
      sent.push(...drain(q, u.capturedAt));
    }
    assert.equal(sent[0], units[10], 'waits for the first keyframe');
    assert.deepEqual(
      sent.map((u) => u.seq),
      units.slice(10).map((u) => u.seq),
    );
    assert.equal(q.keyframeSkips, 0);
  });

  it('gop: bounded in units and bytes; after any drop the next unit sent is a keyframe', () => {
    const q = new SendQueue({ policy: 'gop', maxUnits: 8, maxBytes: 2000 });
    const sent: AccessUnit[] = [];
    let i = 0;
    for (const u of stream(20, 12, 150)) {
      q.push(u, u.capturedAt);
      assert.ok(q.size <= 8, 'count bound');
      assert.ok(q.waitingBytes <= 2000, 'byte bound');
      if (++i % 5 === 0)
        sent.push(...drain(q, u.capturedAt).slice(0, 2)); // a slow consumer: 2 of every 5
      else {
        const next = q.shift(u.capturedAt);
        if (next && i % 3 === 0) sent.push(next);
        else if (next) sent.push(next);
      }
    }
    assertDecodable(sent);
  });

  it('gop: a slow consumer skips to keyframes and never gets a broken sequence', () => {
    const q = new SendQueue({ policy: 'gop', maxUnits: 16, maxAgeMs: 300 });
    const sent: AccessUnit[] = [];
    const units = stream(30, 25, 100, 0, 40);
    for (const u of units) {
      q.push(u, u.capturedAt);
      if (u.seq % 8 === 0) {
        const next = q.shift(u.capturedAt); // one unit every 8: a link that cannot carry the stream
        if (next) sent.push(next);
      }
    }
    assert.ok(q.keyframeSkips > 0, 'it skipped');
    assert.ok(q.dropped > 0);
    assertDecodable(sent);
    assert.ok(sent.filter((u) => u.keyframe).length > 1, 'keyframes keep coming');
  });

  it('gop: a unit too old makes the queue skip to the next keyframe waiting', () => {
    const q = new SendQueue({ policy: 'gop', maxAgeMs: 500 });
    const units = stream(2, 10, 100, 0, 20); // keyframes at 0 ms and 200 ms
    for (const u of units) q.push(u, u.capturedAt);
    const next = q.shift(650); // the first GOP is too old
    assert.ok(next?.keyframe, 'skipped to a keyframe');
    assert.equal(next, units[10]);
    assert.equal(q.keyframeSkips, 1);
  });

  it('clear (pause): the next unit out is a keyframe', () => {
    const q = new SendQueue({ policy: 'gop' });
    const units = stream(2, 5);
    q.push(units[0]!);
    q.push(units[1]!);
    q.clear();
    for (const u of units.slice(2)) q.push(u);
    assert.equal(q.shift(), units[5]);
  });
});
