import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { parseAdtsHeader } from '../../src/codec/aac/adts.js';
import { parseOpusHead } from '../../src/codec/opus/opus-head.js';
import { buildOpusTsPayload } from '../../src/codec/opus/ts-access-units.js';
import { tsAudioParser } from '../../src/ffmpeg/ts-audio.js';
import type { SourceAudioUnit } from '../../src/media/index.js';
import { adtsAac } from '../codec/audio-fixtures.js';

function logger(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ level: 'warn' }, stream), lines };
}

/** The first `count` ADTS frames of a stream, whole. */
function frames(adts: Uint8Array, count: number): Uint8Array {
  let at = 0;
  for (let i = 0; i < count; i++) at += parseAdtsHeader(adts, at).frameLength;
  return adts.subarray(0, at);
}

describe("audio in the capture's MPEG-TS", () => {
  it("times AAC PES frames by the PES's PTS, drops a PES that does not parse, follows a new rate", async () => {
    const { log, lines } = logger();
    const units: SourceAudioUnit[] = [];
    const parser = tsAudioParser((u) => units.push(u), { log, label: 'cam' });
    const aac16 = adtsAac(16000, 1, 1);
    parser.push({ codec: 'aac', pts: 90000, data: frames(aac16, 3) });
    assert.deepEqual(
      units.map((u) => u.pts),
      [16000, 17024, 18048],
    );
    assert.ok(units.every((u) => u.config === units[0]!.config && u.samples === 1024));
    assert.equal(units[0]!.config.codecString, 'mp4a.40.2');
    // Garbage: dropped whole, said once.
    parser.push({ codec: 'aac', pts: 180000, data: Uint8Array.from({ length: 300 }, (_, i) => i & 0xff) });
    assert.equal(units.length, 3);
    // Another rate: a new configuration.
    parser.push({ codec: 'aac', pts: 270000, data: frames(adtsAac(48000, 2, 1), 1) });
    assert.equal(units.length, 4);
    assert.notEqual(units[3]!.config, units[0]!.config);
    assert.equal(units[3]!.pts, 144000);
    await new Promise((r) => setImmediate(r));
    assert.ok(
      lines.some((l) => l.includes('an AAC PES dropped')),
      lines.join(''),
    );
  });

  it('says when the AAC rate changes, and gives the audio up when it keeps changing', async () => {
    const { log, lines } = logger();
    const units: SourceAudioUnit[] = [];
    const fatal: string[] = [];
    const parser = tsAudioParser((u) => units.push(u), {
      log,
      label: 'cam',
      fatal: (r) => fatal.push(r),
      now: () => 1000,
    });
    const [a, b] = [frames(adtsAac(16000, 1, 1), 1), frames(adtsAac(48000, 2, 1), 1)];
    parser.push({ codec: 'aac', pts: 0, data: a });
    parser.push({ codec: 'aac', pts: 5760, data: b });
    await new Promise((r) => setImmediate(r));
    assert.ok(
      lines.some((l) => l.includes('the AAC configuration changed: 16000 Hz 1 ch → 48000 Hz 2 ch')),
      lines.join(''),
    );
    // Five changes in 10 s are followed; the sixth gives the audio up for the run: nothing more comes.
    for (let i = 0; i < 10; i++) parser.push({ codec: 'aac', pts: 5760 * (i + 2), data: i % 2 ? b : a });
    assert.deepEqual(fatal, ['the AAC configuration changed 6 times in 10 s']);
    assert.equal(units.length, 6);
  });

  it('says when the AAC configuration lies about the rate its timestamps show', async () => {
    const { log, lines } = logger();
    const units: SourceAudioUnit[] = [];
    let now = 0;
    const parser = tsAudioParser((u) => units.push(u), { log, label: 'cam', now: () => now });
    // Frames that say 48 kHz, timed by the camera as 16 kHz (1024 samples every 64 ms).
    const frame = frames(adtsAac(48000, 1, 1), 1);
    for (let i = 0; i < 40; i++, now += 64) parser.push({ codec: 'aac', pts: i * 5760, data: frame });
    await new Promise((r) => setImmediate(r));
    const said = lines.filter((l) => l.includes('the AAC configuration says 48000 Hz'));
    assert.equal(said.length, 1, lines.join(''));
    assert.match(said[0]!, /advance as 16000 Hz/);
    // The units go on as they are.
    assert.equal(units.length, 40);
  });

  it('splits Opus PES into packets timed from the PES, with an OpusHead of the channels probed', async () => {
    const { log, lines } = logger();
    const units: SourceAudioUnit[] = [];
    const parser = tsAudioParser((u) => units.push(u), { log, label: 'cam', channels: 1 });
    // Two 20 ms CELT packets (TOC 0xf8: config 31, mono, one frame), then a 10 ms one (0xf0).
    const p20 = Uint8Array.from([0xf8, 1, 2, 3]);
    const p10 = Uint8Array.from([0xf0, 4, 5]);
    parser.push({ codec: 'opus', pts: 90000, data: buildOpusTsPayload([p20, p20]) });
    parser.push({ codec: 'opus', pts: 93600, data: buildOpusTsPayload([p10]) });
    assert.deepEqual(
      units.map((u) => [u.pts, u.samples, u.data.length]),
      [
        [48000, 960, 4],
        [48960, 960, 4],
        [49920, 480, 3],
      ],
    );
    const head = parseOpusHead(units[0]!.config.description!);
    assert.deepEqual([units[0]!.config.codecString, units[0]!.config.sampleRate, head.channels], ['opus', 48000, 1]);
    assert.ok(units.every((u) => u.config === units[0]!.config));
    // Not Opus in MPEG-TS: dropped whole, said.
    parser.push({ codec: 'opus', pts: 99000, data: Uint8Array.from([1, 2, 3, 4]) });
    assert.equal(units.length, 3);
    await new Promise((r) => setImmediate(r));
    assert.ok(
      lines.some((l) => l.includes('an Opus PES dropped')),
      lines.join(''),
    );
  });
});
