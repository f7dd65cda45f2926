import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildAdtsHeader, parseAdtsHeader } from '../../../src/codec/aac/adts.js';
import {
  AdtsStream,
  MAX_CONFIG_CHANGES,
  MAX_GARBAGE_BYTES,
  type AdtsFrame,
} from '../../../src/codec/aac/adts-stream.js';
import { parseAudioSpecificConfig } from '../../../src/codec/aac/audio-specific-config.js';
import { CodecError } from '../../../src/codec/errors.js';
import { adtsAac, decodeToPcm } from '../audio-fixtures.js';

interface Run {
  frames: AdtsFrame[];
  problems: string[];
  ended: string[];
}

function feed(chunks: Uint8Array[], now: () => number = Date.now, declared?: Uint8Array): Run {
  const run: Run = { frames: [], problems: [], ended: [] };
  const stream = new AdtsStream(
    {
      frame: (f) => run.frames.push(f),
      problem: (m) => run.problems.push(m),
      ended: (r) => run.ended.push(r),
    },
    now,
    declared ? parseAudioSpecificConfig(declared) : undefined,
  );
  for (const c of chunks) stream.push(c);
  return run;
}

/** The frames of a whole ADTS stream, as [start, end) pairs. */
function frameSpans(adts: Uint8Array): [number, number][] {
  const spans: [number, number][] = [];
  for (let at = 0; at < adts.length;) {
    const h = parseAdtsHeader(adts, at);
    spans.push([at, at + h.frameLength]);
    at += h.frameLength;
  }
  return spans;
}

function cut(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The stream rebuilt from frames (a header each): what ffmpeg decodes to compare. */
function rebuild(frames: AdtsFrame[]): Uint8Array {
  return concat(frames.flatMap((f) => [buildAdtsHeader(f.config, f.data.length), f.data]));
}

const aac48 = adtsAac(48000, 2, 1);
const aac16 = adtsAac(16000, 1, 1);

describe('AdtsStream', () => {
  it('splits ffmpeg ADTS cut anywhere into frames that decode to the same sound', () => {
    const spans = frameSpans(aac48);
    for (const size of [1, 7, 100, 4096, aac48.length]) {
      const run = feed(cut(aac48, size));
      // Only the first frame waits for the header after it (which confirms it): none is lost.
      assert.equal(run.frames.length, spans.length, `cut every ${size}`);
      assert.deepEqual(run.problems, []);
      assert.equal(run.frames[0]!.config.sampleRate, 48000);
      assert.equal(run.frames[0]!.config.channels, 2);
      assert.deepEqual([...run.frames[0]!.config.audioSpecificConfig], [0x11, 0x90]);
      // One configuration object for the whole stream: consumers compare by identity.
      assert.ok(run.frames.every((f) => f.config === run.frames[0]!.config));
    }
    const run = feed([aac48]);
    assert.deepEqual(decodeToPcm(['-f', 'aac'], rebuild(run.frames)), decodeToPcm(['-f', 'aac'], aac48));
  });

  it('skips garbage between frames to the next real header, saying so', () => {
    const spans = frameSpans(aac48);
    const garbage = Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff);
    // A fake syncword with a frame length pointing nowhere, inside the garbage.
    garbage.set([0xff, 0xf1, 0x50, 0x80, 0x10, 0x1f, 0xfc], 100);
    const [a, b] = [spans[10]![0], spans[20]![0]];
    const damaged = concat([aac48.subarray(0, a), garbage, aac48.subarray(a, b), garbage, aac48.subarray(b)]);
    const run = feed(cut(damaged, 500));
    assert.equal(run.frames.length, spans.length);
    assert.equal(run.ended.length, 0);
    assert.ok(run.problems.length >= 2 && run.problems.every((p) => p.includes('garbage')), run.problems.join('\n'));
  });

  it('gives up on a stream of garbage after a bounded number of bytes', () => {
    const noise = Uint8Array.from({ length: MAX_GARBAGE_BYTES + 10000 }, (_, i) => (i * 131 + 7) & 0xff);
    const run = feed(cut(noise, 1500));
    assert.equal(run.frames.length, 0);
    assert.equal(run.ended.length, 1);
    assert.match(run.ended[0]!, /bytes without an AAC frame/);
  });

  it('follows a sample rate that changes with a new configuration, and ends a stream that keeps changing', () => {
    const once = feed([aac48, aac16, aac48.subarray(0, 20)]);
    const configs = [...new Set(once.frames.map((f) => f.config))];
    assert.deepEqual(
      configs.map((c) => c.sampleRate),
      [48000, 16000],
    );
    assert.equal(once.problems.length, 1);
    assert.match(once.problems[0]!, /48000 Hz 2 ch → 16000 Hz 1 ch/);
    assert.equal(once.ended.length, 0);

    const t = 1000;
    const flapping = feed(
      Array.from({ length: MAX_CONFIG_CHANGES + 3 }, (_, i) => (i % 2 ? aac16 : aac48)),
      () => t,
    );
    assert.equal(flapping.ended.length, 1);
    assert.match(flapping.ended[0]!, /changed 6 times in 10 s/);
  });

  it('follows the frames of a stream whose announced configuration lies, saying so', () => {
    const run = feed([aac48], Date.now, Uint8Array.of(0x12, 0x08)); // says 44.1 kHz mono
    assert.equal(run.frames[0]!.config.sampleRate, 48000);
    assert.equal(run.problems.length, 1);
    assert.match(run.problems[0]!, /says object type 2, 44100 Hz, 1 ch but the frames say 2, 48000 Hz, 2 ch/);
  });

  it('parses and builds ADTS headers, refusing reserved values', () => {
    const h = parseAdtsHeader(aac48);
    assert.equal(h.objectType, 2);
    assert.equal(h.sampleRate, 48000);
    assert.equal(h.headerLength, 7);
    const built = buildAdtsHeader(h, h.frameLength - 7);
    assert.deepEqual(parseAdtsHeader(built), h);
    assert.throws(
      () => parseAdtsHeader(Uint8Array.of(0xff, 0xf1, 0x50)),
      (e) => e instanceof CodecError && e.code === 'truncated',
    );
    assert.throws(
      () => parseAdtsHeader(Uint8Array.of(0xff, 0xf1, 0x7c, 0x80, 0x10, 0x1f, 0xfc)),
      /index 15 is reserved/,
    );
    assert.throws(
      () => parseAdtsHeader(Uint8Array.of(0xff, 0xf1, 0x4c, 0x80, 0x00, 0x1f, 0xfc)),
      /not longer than its header/,
    );
    assert.throws(() => parseAdtsHeader(Uint8Array.of(0xff, 0xf1, 0x4c, 0x80, 0x10, 0x1f, 0xfd)), /2 raw data blocks/);
    assert.throws(() => buildAdtsHeader(h, 9000), /for ADTS/);
  });
});
