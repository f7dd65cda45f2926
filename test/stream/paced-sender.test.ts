/**
 * The shared send path over a transport that records what it is asked to write (the transport is
 * not what these tests test; the outputs' own tests drive the sender through real sockets).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccessUnit, TrackConfig } from '../../src/media/index.js';
import { AckWindow } from '../../src/stream/ack-window.js';
import { PacedSender, type PacedSenderOptions } from '../../src/stream/paced-sender.js';
import { everyPacer } from '../../src/stream/pacer.js';
import type { UnitTransport } from '../../src/stream/transport.js';
import { waitFor } from '../support/wait.js';
import { arrivalTimes } from '../support/times.js';

const A: TrackConfig = { codec: 'h264', width: 64, height: 48, codecString: 'avc1.42C01E' };
const B: TrackConfig = { codec: 'h264', width: 32, height: 24, codecString: 'avc1.42C01E' };

function unit(seq: number, keyframe: boolean, config = A, bytes = 100): AccessUnit {
  return { seq, config, keyframe, ...arrivalTimes(0), data: Buffer.alloc(bytes), placeholder: false };
}

class Recorder implements UnitTransport {
  writable = true;
  bufferedBytes = 0;
  readonly writes: string[] = [];
  sendConfig(config: TrackConfig): void {
    this.writes.push(`config ${config.width}`);
  }
  sendUnit(u: AccessUnit, seq: number, _written?: () => void): number {
    this.writes.push(`unit ${u.seq}@${seq}`);
    return u.data.length + 16;
  }
}

function sender(options: Partial<PacedSenderOptions> = {}): { s: PacedSender; t: Recorder } {
  const t = new Recorder();
  const s = new PacedSender({
    transport: t,
    queue: { policy: 'gop' },
    window: 2,
    maxWindow: 8,
    acks: true,
    maxBufferedBytes: 1000,
    sendsConfig: true,
    ...options,
  });
  return { s, t };
}

describe('PacedSender', () => {
  it('keeps at most `window` units unacknowledged; an ack lets the next go; config before the first unit', () => {
    const { s, t } = sender();
    for (let i = 1; i <= 4; i++) s.push(unit(i, i === 1), i);
    assert.deepEqual(t.writes, ['config 64', 'unit 1@1', 'unit 2@2']);
    assert.equal(s.ack(1, 10), 'freed');
    assert.deepEqual(s.acked.sample, { bytes: 116, newestSentAt: 1, oldestSentAt: 1 });
    assert.deepEqual(t.writes.slice(3), ['unit 3@3']);
    assert.equal(s.ack(1, 11), 'stale');
    assert.equal(s.ack(9, 11), 'never-sent');
    assert.equal(s.ack(3, 12), 'freed');
    assert.equal(s.acked.sample.bytes, 232, 'cumulative: units 2 and 3');
    assert.deepEqual(t.writes.slice(4), ['unit 4@4']);
    assert.equal(s.push(unit(4, false), 13), false, 'a unit seen already is not taken again');
  });

  it('a new configuration goes before the unit that needs it; holds while the transport is full', () => {
    const { s, t } = sender({ window: 8 });
    s.push(unit(1, true), 0);
    t.bufferedBytes = 1000;
    s.push(unit(2, true, B), 1);
    assert.deepEqual(t.writes, ['config 64', 'unit 1@1']);
    t.bufferedBytes = 0;
    s.flush(2);
    assert.deepEqual(t.writes.slice(2), ['config 32', 'unit 2@2']);
  });

  it('after switchTrack, a track numbered behind the wire is renumbered on from it', () => {
    const { s, t } = sender({ window: 8 });
    s.push(unit(100, true), 0);
    s.push(unit(101, false), 0);
    s.switchTrack();
    s.push(unit(7, true, B), 1);
    s.push(unit(8, false, B), 1);
    assert.deepEqual(t.writes, ['config 64', 'unit 100@100', 'unit 101@101', 'config 32', 'unit 7@102', 'unit 8@103']);
    assert.equal(s.ack(103, 2), 'freed');
  });

  it('without acks, one write in flight; its completion lets the next go', () => {
    const t = new Recorder();
    let written: (() => void) | undefined;
    t.sendUnit = (u: AccessUnit, seq: number, done: (() => void) | undefined): number => {
      t.writes.push(`unit ${u.seq}@${seq}`);
      written = done;
      return 1;
    };
    const s = new PacedSender({
      transport: t,
      queue: { policy: 'latest' },
      window: 2,
      maxWindow: 8,
      acks: false,
      maxBufferedBytes: 1000,
      sendsConfig: false,
    });
    s.push(unit(1, true), 0);
    s.push(unit(2, true), 0);
    s.push(unit(3, true), 0);
    assert.deepEqual(t.writes, ['unit 1@1']);
    written!();
    assert.deepEqual(t.writes, ['unit 1@1', 'unit 3@3'], 'latest: 3 replaced 2');
  });

  it('a pacer spaces units and sends the waiting one when due', async () => {
    const { s, t } = sender({ window: 8, pacer: everyPacer(20), queue: { policy: 'latest' }, sendsConfig: false });
    const first = performance.now();
    s.push(unit(1, true), first);
    s.push(unit(2, true), first);
    assert.deepEqual(t.writes, ['unit 1@1'], 'the second waits for its turn');
    await waitFor(() => t.writes.length === 2, 5000, 'the second unit');
    assert.ok(performance.now() - first >= 49, 'not before 1/20 s');
    assert.deepEqual(t.writes, ['unit 1@1', 'unit 2@2']);
    s.reset();
  });

  it('dropWaiting (a pause) forgets what was never sent, so a catch-up may offer it again', () => {
    const { s, t } = sender({ window: 1 });
    s.push(unit(1, true), 0);
    s.push(unit(2, true), 0);
    s.dropWaiting();
    s.ack(1, 1);
    assert.equal(s.push(unit(2, true), 2), true);
    assert.deepEqual(t.writes, ['config 64', 'unit 1@1', 'unit 2@2']);
  });
});

describe('AckWindow', () => {
  it('ages its oldest unit and clears', () => {
    const w = new AckWindow(4);
    w.sent(5, 10, 100);
    w.sent(6, 20, 100);
    assert.equal(w.oldestWait(25), 15);
    assert.equal(w.ack(5), 'freed');
    assert.equal(w.oldestWait(25), 5);
    w.clear();
    assert.equal(w.size, 0);
    assert.equal(w.ack(6), 'never-sent');
  });
});
