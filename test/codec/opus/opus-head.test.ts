import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findPath, readBoxes } from '../../../src/codec/mp4/boxes.js';
import {
  buildDOps,
  buildOpusHead,
  opusPacketSamples,
  parseDOps,
  parseOpusHead,
} from '../../../src/codec/opus/opus-head.js';
import { ffmpegRun } from '../audio-fixtures.js';

const sine = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=0.5'];

function indexOf(data: Uint8Array, text: string): number {
  const bytes = [...text].map((c) => c.charCodeAt(0));
  for (let i = 0; i + bytes.length <= data.length; i++) if (bytes.every((b, j) => data[i + j] === b)) return i;
  return -1;
}

describe('Opus headers', () => {
  it("parse libopus's OpusHead (Ogg) and dOps (MP4), and build them back byte for byte", () => {
    const ogg = ffmpegRun([...sine, '-ac', '2', '-c:a', 'libopus', '-f', 'ogg', 'pipe:1']);
    const at = indexOf(ogg, 'OpusHead');
    assert.ok(at > 0);
    const packet = ogg.subarray(at, at + 19);
    const head = parseOpusHead(packet);
    assert.equal(head.channels, 2);
    assert.equal(head.mappingFamily, 0);
    assert.ok(head.preSkip > 0);
    assert.deepEqual(buildOpusHead(head), packet);

    const mp4 = ffmpegRun([...sine, '-c:a', 'libopus', '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov', 'pipe:1']);
    const stsd = findPath(mp4, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd'])!;
    const entry = readBoxes(mp4, stsd.start + 16, stsd.end)[0]!;
    assert.equal(entry.type, 'Opus');
    const dOps = readBoxes(mp4, entry.start + 8 + 28, entry.end).find((b) => b.type === 'dOps')!;
    const body = mp4.subarray(dOps.start + 8, dOps.end);
    const fromMp4 = parseDOps(body);
    assert.equal(fromMp4.channels, 1);
    assert.deepEqual(buildDOps(fromMp4), body);
  });

  it('keeps a surround mapping table and refuses inconsistent headers', () => {
    const surround = {
      channels: 6,
      preSkip: 312,
      inputSampleRate: 48000,
      outputGain: -256,
      mappingFamily: 1,
      streamCount: 4,
      coupledCount: 2,
      mapping: Uint8Array.of(0, 4, 1, 2, 3, 5),
    };
    assert.deepEqual(parseOpusHead(buildOpusHead(surround)), surround);
    assert.deepEqual(parseDOps(buildDOps(surround)), surround);
    assert.throws(() => parseOpusHead(new Uint8Array(19)), /no OpusHead magic/);
    assert.throws(() => parseOpusHead(buildOpusHead(surround).subarray(0, 22)), /mapping table/);
    assert.throws(() => buildOpusHead({ ...surround, mappingFamily: 0 }), /family 0 with 6 channels/);
    assert.throws(() => buildOpusHead({ ...surround, mapping: Uint8Array.of(0, 1) }), /does not match/);
    assert.throws(() => parseDOps(Uint8Array.of(1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0)), /dOps version 1/);
  });

  it('tells a packet duration from its TOC byte', () => {
    assert.equal(opusPacketSamples(Uint8Array.of(0xfc)), 960); // CELT 20 ms, one frame (libopus's default)
    assert.equal(opusPacketSamples(Uint8Array.of(0x08)), 960); // SILK NB 20 ms
    assert.equal(opusPacketSamples(Uint8Array.of(0x79)), 960 * 2); // hybrid 20 ms, two frames
    assert.equal(opusPacketSamples(Uint8Array.of(0x83, 0x03)), 120 * 3); // CELT 2.5 ms × 3
    assert.equal(opusPacketSamples(Uint8Array.of(0x1b, 0x02)), 2880 * 2); // 120 ms: the maximum
    assert.throws(() => opusPacketSamples(Uint8Array.of(0x1b, 0x03)), /over 120/);
    assert.throws(() => opusPacketSamples(Uint8Array.of(0x03, 0x00)), /0 frames/);
    assert.throws(() => opusPacketSamples(new Uint8Array(0)), /empty/);
  });
});
