/**
 * Bytes from cameras and remote edges are untrusted: every parser of src/codec/
 * either returns something within its bounds or throws a CodecError. Random
 * bytes, then a few thousand seeded mutations of a real stream through the
 * whole chain (split, access units, SPS, avcC, AVC form, fMP4, boxes).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodecError } from '../../src/codec/errors.js';
import { AccessUnitSplitter, type AccessUnit } from '../../src/codec/h264/access-units.js';
import { buildAvcC, parseAvcC } from '../../src/codec/h264/avcc.js';
import { avcToAnnexB, NalType, nalType, splitAnnexB, splitAvc, toAvc } from '../../src/codec/h264/nal.js';
import { codecString, MAX_DIMENSION, parseSps } from '../../src/codec/h264/sps.js';
import { readBoxes } from '../../src/codec/mp4/boxes.js';
import { initSegment, mediaSegment } from '../../src/codec/mp4/fmp4.js';
import { equalBytes, ffmpegH264, seededRandom } from './fixtures.js';

/** Runs fn; a CodecError is an accepted outcome, any other throw fails the test. */
function tolerate<T>(what: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (error instanceof CodecError) return undefined;
    assert.fail(`${what}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

const MAX_AU = 16 * 1024;

interface Split {
  aus: AccessUnit[];
  counters: string;
}

function splitInChunks(stream: Uint8Array, random: (() => number) | undefined): Split {
  const aus: AccessUnit[] = [];
  const splitter = new AccessUnitSplitter((au) => aus.push(au), { maxAccessUnitBytes: MAX_AU });
  let at = 0;
  while (at < stream.length) {
    const size = random ? 1 + Math.floor(random() ** 2 * 3000) : stream.length;
    splitter.push(stream.subarray(at, at + size));
    assert.ok(splitter.bufferedBytes <= MAX_AU, `${splitter.bufferedBytes} bytes buffered`);
    at += size;
  }
  splitter.flush();
  return { aus, counters: JSON.stringify(splitter.counters) };
}

function checkAccessUnit(au: AccessUnit): void {
  assert.ok(au.data.length <= MAX_AU);
  assert.ok(au.nalus.length > 0);
  for (const nal of au.nalus) {
    assert.ok(nal.length > 0);
    assert.equal(nal.buffer, au.data.buffer);
    assert.ok(
      nal.byteOffset >= au.data.byteOffset && nal.byteOffset + nal.length <= au.data.byteOffset + au.data.length,
    );
  }
  assert.equal(
    au.keyframe,
    au.nalus.some((n) => nalType(n) === NalType.IDR),
  );
}

/** Everything downstream of one access unit. */
function chain(au: AccessUnit, random: () => number): void {
  const avc = toAvc(au.nalus);
  const back = splitAvc(avc);
  assert.equal(back.length, au.nalus.length);
  assert.ok(equalBytes(avcToAnnexB(avc), avcToAnnexB(toAvc(au.data))));
  const sps = au.sps[0];
  const pps = au.pps[0];
  if (sps) {
    const parsed = tolerate('parseSps', () => parseSps(sps));
    if (parsed) {
      assert.ok(Number.isInteger(parsed.width) && parsed.width >= 1 && parsed.width <= MAX_DIMENSION);
      assert.ok(Number.isInteger(parsed.height) && parsed.height >= 1 && parsed.height <= MAX_DIMENSION);
      assert.match(codecString(parsed), /^avc1\.[0-9A-F]{6}$/);
      if (pps) {
        const avcC = buildAvcC({ sps: [sps], pps: [pps] });
        const record = parseAvcC(avcC);
        assert.ok(equalBytes(record.sps[0]!, sps));
        const init = initSegment({ width: parsed.width, height: parsed.height, avcC, timescale: 90000 });
        assert.equal(
          readBoxes(init).reduce((n, b) => n + b.size, 0),
          init.length,
        );
      }
    }
  }
  const segment = mediaSegment({
    sequenceNumber: 1,
    baseDecodeTime: 0,
    samples: [{ data: avc, duration: 3000, keyframe: au.keyframe }],
  });
  assert.equal(
    readBoxes(segment).reduce((n, b) => n + b.size, 0),
    segment.length,
  );
  // The AVC form mutated: lengths that lie are caught.
  const bad = avc.slice();
  bad[Math.floor(random() * Math.min(bad.length, 8))] = Math.floor(random() * 256);
  const units = tolerate('splitAvc', () => splitAvc(bad));
  if (units)
    assert.equal(
      units.reduce((n, u) => n + 4 + u.length, 0),
      bad.length,
    );
  tolerate('mediaSegment', () =>
    mediaSegment({
      sequenceNumber: 2,
      baseDecodeTime: 3000,
      samples: [{ data: bad, duration: 3000, keyframe: false }],
    }),
  );
}

/** The parts one after another (spreading into an array is slow for streams this size). */
function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function mutate(source: Uint8Array, random: () => number): Uint8Array {
  let data = source.slice();
  const pick = (n: number): number => Math.floor(random() * n);
  const edits = 1 + pick(6);
  for (let e = 0; e < edits && data.length > 0; e++) {
    const at = pick(data.length);
    switch (pick(7)) {
      case 0: // flip a bit
        data[at] = data[at]! ^ (1 << pick(8));
        break;
      case 1: // a random byte
        data[at] = pick(256);
        break;
      case 2: {
        // insert a start code, maybe followed by a plausible header
        const insert = [0, 0, 1, [0x09, 0x67, 0x68, 0x65, 0x41, 0x06][pick(6)]!, pick(256)];
        data = concat(data.subarray(0, at), new Uint8Array(insert), data.subarray(at));
        break;
      }
      case 3: {
        // delete a range
        const end = Math.min(data.length, at + pick(2000));
        data = concat(data.subarray(0, at), data.subarray(end));
        break;
      }
      case 4: {
        // duplicate a range
        const end = Math.min(data.length, at + pick(3000));
        data = concat(data.subarray(0, end), data.subarray(at, end), data.subarray(end));
        break;
      }
      case 5: // truncate
        data = data.slice(0, at);
        break;
      default: {
        // zero a run (fake start codes, trailing zeros)
        const end = Math.min(data.length, at + 1 + pick(12));
        data.fill(0, at, end);
      }
    }
  }
  return data;
}

describe('untrusted input', () => {
  it('random bytes: every parser returns or throws a CodecError', () => {
    const random = seededRandom(1);
    for (let i = 0; i < 2000; i++) {
      const data = new Uint8Array(Math.floor(random() * 512));
      for (let j = 0; j < data.length; j++) data[j] = random() < 0.2 ? 0 : Math.floor(random() * 256);
      const withHeader = (h: number): Uint8Array => (data.length ? (data.set([h], 0), data) : new Uint8Array([h]));
      tolerate('splitAnnexB', () => splitAnnexB(data));
      tolerate('splitAvc', () => splitAvc(data));
      tolerate('avcToAnnexB', () => avcToAnnexB(data));
      tolerate('parseSps', () => parseSps(withHeader(0x67)));
      tolerate('codecString', () => codecString(withHeader(0x67)));
      tolerate('parseAvcC', () => parseAvcC(withHeader(1)));
      tolerate('readBoxes', () => readBoxes(data));
      tolerate('initSegment', () => initSegment({ width: 16, height: 16, avcC: withHeader(1), timescale: 90000 }));
      tolerate('mediaSegment', () =>
        mediaSegment({ sequenceNumber: 1, baseDecodeTime: 0, samples: [{ data, duration: 1, keyframe: true }] }),
      );
      const { aus } = tolerate('splitter', () => splitInChunks(data, random)) ?? { aus: [] };
      aus.forEach(checkAccessUnit);
    }
  });

  it('2000 seeded mutations of a real stream: bounded, deterministic, and only CodecErrors', () => {
    const source = ffmpegH264({ width: 160, height: 120, frames: 20, gop: 5, profile: 'high', aud: true });
    const plain = ffmpegH264({ width: 160, height: 120, frames: 20, gop: 5, profile: 'baseline' });
    const random = seededRandom(20261201);
    let emitted = 0;
    let dropped = 0;
    for (let i = 0; i < 2000; i++) {
      const stream = mutate(i % 2 ? source : plain, random);
      const whole = splitInChunks(stream, undefined);
      const chunked = splitInChunks(stream, random);
      // The same access units, whatever the chunking, for damaged streams too.
      assert.equal(chunked.aus.length, whole.aus.length, `mutation ${i}`);
      assert.equal(chunked.counters, whole.counters, `mutation ${i}`);
      chunked.aus.forEach((au, k) => assert.ok(equalBytes(au.data, whole.aus[k]!.data), `mutation ${i}, AU ${k}`));
      for (const au of whole.aus) {
        checkAccessUnit(au);
        tolerate(`mutation ${i} chain`, () => chain(au, random));
      }
      emitted += whole.aus.length;
      dropped += (JSON.parse(whole.counters) as { droppedAccessUnits: number }).droppedAccessUnits;
      for (const nal of tolerate('splitAnnexB', () => splitAnnexB(stream)) ?? []) {
        if (nalType(nal) === NalType.SPS) tolerate('parseSps', () => parseSps(nal));
      }
    }
    assert.ok(emitted > 2000 * 10, `${emitted} access units came through`);
    assert.ok(dropped > 0, 'some mutations made access units to drop');
  });
});
