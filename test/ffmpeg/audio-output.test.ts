import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { audioOutputParser } from '../../src/ffmpeg/audio-output.js';
import type { SourceAudioUnit } from '../../src/media/index.js';
import { ffmpegRun } from '../codec/audio-fixtures.js';

describe('audio from the capture', () => {
  it('cuts G.711 from FLV into 20 ms units timed by each packet, and gives up on what is not FLV', () => {
    const flv = ffmpegRun([
      ...['-f', 'lavfi', '-i', 'sine=sample_rate=8000:duration=1', '-c:a', 'pcm_alaw'],
      ...['-flush_packets', '1', '-f', 'flv', 'pipe:1'],
    ]);
    const units: SourceAudioUnit[] = [];
    const fatal: string[] = [];
    const options = { log: pino({ level: 'silent' }), label: 'cam', fatal: (r: string) => fatal.push(r) };
    const parser = audioOutputParser(
      { codec: 'pcma', sampleRate: 8000, channels: 1, flv: true },
      (u) => units.push(u),
      options,
    );
    for (let i = 0; i < flv.length; i += 97) parser.push(Buffer.from(flv.subarray(i, i + 97)));
    assert.deepEqual(fatal, []);
    assert.equal(
      units.reduce((n, u) => n + u.samples, 0),
      8000,
    );
    assert.equal(units[0]!.pts, 0);
    for (let i = 1; i < units.length; i++) {
      assert.ok(Math.abs(units[i]!.pts! - (units[i - 1]!.pts! + units[i - 1]!.samples)) <= 8, `unit ${i}`);
    }
    parser.reset();
    parser.push(Buffer.from('not an flv stream at all'));
    assert.equal(fatal.length, 1);
    assert.match(fatal[0]!, /not FLV/);
  });
});
