/** Recording around events: the pre-roll in memory (whole GOPs, bounded) and the gate in front of the recorder. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccessUnit } from '../../src/media/index.js';
import { PreRoll } from '../../src/recording/pre-roll.js';
import { EventGate } from '../../src/recording/event-gate.js';
import { h264Config } from '../support/hub.js';

const config = h264Config(320, 240);
/** 10 fps, a keyframe every 5 units (0.5 s), 1000 bytes each. */
const unit = (seq: number, bytes = 1000): AccessUnit => ({
  seq,
  config,
  keyframe: seq % 5 === 0,
  capturedAt: 1_000_000 + seq * 100,
  wallTime: 1_000_000 + seq * 100,
  pts: seq * 9000,
  dts: seq * 9000,
  data: Buffer.alloc(bytes),
  placeholder: false,
});

describe('pre-roll', () => {
  it('keeps whole GOPs reaching at least keepMs back from the newest unit', () => {
    const p = new PreRoll(1200);
    p.push(unit(3)); // before any keyframe: nothing decodable
    assert.equal(p.bytes, 0);
    for (let s = 5; s <= 42; s++) p.push(unit(s));
    const units = p.units();
    assert.equal(units[0]!.keyframe, true);
    // Newest at seq 42 (4.2 s): 1.2 s back is seq 30, a keyframe: the group from 30 is enough.
    assert.equal(units[0]!.seq, 30);
    assert.equal(p.bytes, units.length * 1000);
    p.push(unit(43));
    assert.equal(p.units()[0]!.seq, 30, 'seq 31 is 1.2 s back: still needs the group from 30');
    assert.deepEqual(
      p.units(40).map((u) => u.seq),
      [41, 42, 43],
      'only units after those already written',
    );
  });

  it('never holds more than maxBytes: the oldest groups go first', () => {
    const p = new PreRoll(60_000, 12_000);
    for (let s = 0; s < 100; s++) p.push(unit(s));
    assert.ok(p.bytes <= 12_000, `${p.bytes} bytes`);
    assert.ok(p.overflows > 0);
    assert.equal(p.units()[0]!.keyframe, true);
  });
});

describe('event gate', () => {
  it('writes nothing until an event, then its pre-roll and all after, until post_roll past its end', () => {
    const written: number[] = [];
    let paused = 0;
    const gate = new EventGate(
      { onUnit: (u) => written.push(u.seq), onStatus: () => undefined, pause: () => paused++ },
      1000,
    );
    for (let s = 0; s < 30; s++) gate.onUnit(unit(s));
    assert.deepEqual(written, []);
    gate.eventStarted();
    assert.equal(written[0], 15, 'from the keyframe 1 s before the newest (seq 29)');
    for (let s = 30; s < 40; s++) gate.onUnit(unit(s));
    gate.eventEnded(1_000_000 + 38 * 100, 500); // ended at seq 38's time, 0.5 s post-roll
    for (let s = 40; s < 50; s++) gate.onUnit(unit(s));
    assert.equal(written.at(-1), 43, 'up to 0.5 s past the end');
    assert.equal(paused, 1);
    assert.equal(gate.isRecording, false);
    // The next event: its own pre-roll, nothing written twice.
    gate.eventStarted();
    assert.ok(written.filter((s) => s === 43).length === 1);
    assert.equal(written.at(-1), 49);
  });
});
