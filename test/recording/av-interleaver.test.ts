/** The pictures held before the segmenter until their sound has come (src/recording/av-interleaver.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccessUnit, AudioConfig, AudioUnit } from '../../src/media/index.js';
import { AvInterleaver, HOLD_S } from '../../src/recording/av-interleaver.js';
import { h264Config } from '../support/hub.js';

const config = h264Config(320, 240);
const alaw: AudioConfig = { codec: 'pcma', sampleRate: 8000, channels: 1, codecString: 'alaw' };
const T0 = 1_000_000;

/** A picture at `ms` of media time (10 fps), arriving at `arrival`. */
const picture = (ms: number, arrival = T0 + ms): AccessUnit => ({
  seq: ms,
  config,
  keyframe: ms % 1000 === 0,
  capturedAt: arrival,
  wallTime: T0 + ms,
  pts: ms * 90,
  dts: ms * 90,
  data: Buffer.alloc(10),
  placeholder: false,
});

/** 128 ms of sound from `ms` of media time (as ffmpeg hands a G.711 camera's over), arriving at `arrival`. */
const sound = (ms: number, arrival: number): AudioUnit => ({
  seq: ms,
  config: alaw,
  data: Buffer.alloc(1024),
  pts: ms * 8,
  samples: 1024,
  wallTime: T0 + ms,
  capturedAt: arrival,
});

function recorded() {
  const order: string[] = [];
  const interleaver = new AvInterleaver({
    video: (u) => order.push(`v${u.dts / 90}`),
    audio: (u) => order.push(`a${u.pts / 8}`),
  });
  return { order, interleaver };
}

describe('pictures wait for their sound before the segmenter', () => {
  it('lets pictures through at once while the camera sends no sound', () => {
    const { order, interleaver } = recorded();
    for (let ms = 0; ms <= 300; ms += 100) interleaver.video(picture(ms));
    assert.deepEqual(order, ['v0', 'v100', 'v200', 'v300']);
  });

  it('holds pictures until the sound of their time has come, so the sound goes first', () => {
    const { order, interleaver } = recorded();
    interleaver.audio(sound(0, T0)); // 0–128 ms
    // Pictures at 100…400 ms arrive on time; the sound of 128–384 ms arrives 300 ms late.
    for (let ms = 100; ms <= 400; ms += 100) interleaver.video(picture(ms));
    assert.deepEqual(order, ['a0', 'v100'], 'the picture at 100 ms has its sound; the later ones wait');
    interleaver.audio(sound(128, T0 + 430));
    interleaver.audio(sound(256, T0 + 440));
    assert.deepEqual(order, ['a0', 'v100', 'a128', 'v200', 'a256', 'v300']);
    interleaver.flush();
    assert.deepEqual(order.slice(-1), ['v400'], 'flush lets the rest go');
  });

  it('holds a picture at most HOLD_S behind the newest, and not at all once the sound has stopped', () => {
    const { order, interleaver } = recorded();
    interleaver.audio(sound(0, T0));
    for (let ms = 200; ms <= 900; ms += 100) interleaver.video(picture(ms, T0 + 200));
    assert.equal(HOLD_S, 0.5);
    assert.deepEqual(
      order.filter((e) => e.startsWith('v')),
      ['v200', 'v300', 'v400'],
      'only the pictures HOLD_S or more behind the newest (900 ms) went',
    );
    // No sound for over a second of arrivals: the held pictures go, and later ones pass at once.
    interleaver.video(picture(1000, T0 + 1500));
    assert.deepEqual(
      order.filter((e) => e.startsWith('v')),
      ['v200', 'v300', 'v400', 'v500', 'v600', 'v700', 'v800', 'v900', 'v1000'],
    );
  });
});
