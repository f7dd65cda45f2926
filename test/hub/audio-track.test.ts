import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { AudioTrack } from '../../src/hub/audio-track.js';
import type { AudioConfig, AudioUnit } from '../../src/media/index.js';
import { quietLogger } from '../support/index.js';

const G711: AudioConfig = { codec: 'pcma', sampleRate: 8000, channels: 1, codecString: 'alaw' };
const T = 1_700_000_000_000;

function track(): { track: AudioTrack; units: AudioUnit[] } {
  const units: AudioUnit[] = [];
  const t = new AudioTrack('cam', quietLogger());
  t.consumers.add({ onAudio: (u) => units.push(u) });
  return { track: t, units };
}

/** 20 ms G.711 packets; arrival(i) says when packet i arrives. */
function feed(t: AudioTrack, count: number, arrival: (i: number) => number, offset = 0, config = G711): void {
  for (let i = 0; i < count; i++) t.publish({ config, data: Buffer.alloc(160), samples: 160 }, arrival(i), offset);
}

describe('AudioTrack', () => {
  it('times units by their samples, continuous whatever the jitter, on the video clock', () => {
    const { track: t, units } = track();
    // Captured every 20 ms from T; each arrives 5..45 ms later.
    feed(t, 100, (i) => T + i * 20 + 5 + ((i * 37) % 41));
    assert.equal(units.length, 100);
    for (let i = 1; i < units.length; i++) assert.equal(units[i]!.pts, units[i - 1]!.pts + 160);
    // The first arrived 5 ms late: that is where its pts stays (an estimate never later than any arrival).
    assert.equal(units[0]!.pts, Math.round(((T + 5) * 8000) / 1000));
    // On a video clock whose wallTime is pts/90 + 1000 ms, pts are 1 s less.
    const { track: v, units: vu } = track();
    feed(v, 3, (i) => T + i * 20, 1000);
    assert.equal(vu[0]!.pts, Math.round(((T - 1000) * 8000) / 1000));
  });

  it('drops units to get back in place after a late start, and moves on over a gap', () => {
    const { track: t, units } = track();
    // The first 10 packets (200 ms) come at once, 200 ms late: then in real time.
    feed(t, 50, (i) => (i < 10 ? T + 200 : T + i * 20 + 2));
    assert.ok(t.counters.dropped >= 8, `${t.counters.dropped} dropped`);
    const last = units.at(-1)!;
    // In place: the last packet's pts is its capture time (T + 49 × 20 ms, + 2 ms of transit), within the
    // half unit (10 ms) that continuity is kept for.
    assert.ok(Math.abs(last.pts - ((T + 49 * 20 + 2) * 8000) / 1000) <= 80, `${last.pts}`);
    for (let i = 1; i < units.length; i++) assert.ok(units[i]!.pts >= units[i - 1]!.pts + 160);
    // 1 s of packets lost: pts jump with the time.
    const before = units.length;
    feed(t, 5, (i) => T + 2000 + i * 20 + 2);
    // A new run counts afresh (the hub resets it at each start of the source).
    assert.equal(t.counters.gaps, 0, 'a continued run counts samples: no gap without a reset');
    t.reset();
    feed(t, 5, (i) => T + 5000 + i * 20 + 2);
    assert.equal(units.length, before + 10);
    assert.equal(units.at(-5)!.pts, Math.round(((T + 5002) * 8000) / 1000));
  });

  it('places units by the source once the video’s offset is known, not continued from their arrival', () => {
    const { track: t, units } = track();
    // Two units before the run's first picture (no offset yet): placed by arrival.
    for (let i = 0; i < 2; i++)
      t.publish({ config: G711, data: Buffer.alloc(160), samples: 160, pts: 1000 + i * 160 }, T + i * 20, 0);
    // Then the video's offset (its pts minus its source's, 90 kHz): the source's time moved by it, exactly.
    for (let i = 2; i < 4; i++)
      t.publish({ config: G711, data: Buffer.alloc(160), samples: 160, pts: 1000 + i * 160 }, T + i * 20, 0, 9000);
    assert.deepEqual(
      units.slice(2).map((u) => u.pts),
      [1000 + 320 + 800, 1000 + 480 + 800],
    );
  });

  it('starts over for another sample rate, saying so, and reports the track', () => {
    const lines: string[] = [];
    const units: AudioUnit[] = [];
    const t = new AudioTrack('cam', pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }));
    t.consumers.add({ onAudio: (u) => units.push(u) });
    feed(t, 2, (i) => T + i * 20);
    const wide: AudioConfig = { ...G711, sampleRate: 16000 };
    feed(t, 2, (i) => T + 1000 + i * 10, 0, wide);
    assert.equal(units[2]!.pts, Math.round(((T + 1000) * 16000) / 1000));
    assert.deepEqual(t.info(), {
      codec: 'pcma',
      codecString: 'alaw',
      sampleRate: 16000,
      channels: 1,
      consumers: 1,
      units: 4,
      bytes: 640,
    });
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /"from":8000,"to":16000,.*the sample rate changed/);
  });
});
