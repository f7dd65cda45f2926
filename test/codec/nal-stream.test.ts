/**
 * From an H.264 (and H.265) byte stream to access units (src/codec/nal-stream.ts), with real libx264
 * streams and broken ones: units are AVC with a TrackConfig from the SPS/PPS (a new object only when
 * they change), emitted only from a keyframe on; garbage, a stream without SPS/PPS, parameter sets
 * that change every frame or do not parse, and a huge access unit cost bounded work and end or skip
 * with a reason, never a throw.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { parseAvcC } from '../../src/codec/h264/avcc.js';
import { NalType, splitAnnexB, splitAvc } from '../../src/codec/h264/nal.js';
import { parseSps } from '../../src/codec/h264/sps.js';
import { NalStream, type NalStreamOptions, type NalStreamUnit } from '../../src/codec/nal-stream.js';
import { HevcNalType, hevcNalType } from '../../src/codec/h265/nal.js';
import { parseHvcC } from '../../src/codec/h265/hvcc.js';
import { ffmpegH264, ffmpegH265, hasEncoder } from './fixtures.js';

const log = pino({ level: 'silent' });

function collect(options: Partial<NalStreamOptions> = {}) {
  const units: NalStreamUnit[] = [];
  const fatal: string[] = [];
  const stream = new NalStream((u) => units.push(u), {
    maxAccessUnitBytes: 1024 * 1024,
    log,
    label: 'test',
    onFatal: (reason) => fatal.push(reason),
    ...options,
  });
  return { stream, units, fatal };
}

function buf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The stream's NAL units grouped per access unit (split at each AUD), as Annex B buffers. */
function accessUnits(annexB: Uint8Array): Buffer[] {
  const out: Uint8Array[][] = [];
  for (const nal of splitAnnexB(annexB)) {
    if ((nal[0]! & 0x1f) === NalType.AUD || out.length === 0) out.push([]);
    out[out.length - 1]!.push(nal);
  }
  return out.map((nals) => Buffer.concat(nals.flatMap((n) => [Buffer.from([0, 0, 0, 1]), buf(n)])));
}

describe('NalStream', () => {
  it('turns a real stream into AVC units with one TrackConfig from its SPS/PPS', () => {
    const annexB = ffmpegH264({ width: 320, height: 240, frames: 45, gop: 15, aud: true });
    const { stream, units, fatal } = collect();
    // Cut anywhere: 1000-byte chunks.
    for (let at = 0; at < annexB.length; at += 1000) stream.push(buf(annexB.subarray(at, at + 1000)));
    stream.flush();
    assert.deepEqual(fatal, []);
    assert.equal(units.length, 45);
    assert.deepEqual(
      units.flatMap((u, i) => (u.keyframe ? [i] : [])),
      [0, 15, 30],
    );
    const config = units[0]!.config;
    assert.ok(
      units.every((u) => u.config === config),
      'one TrackConfig object while nothing changes',
    );
    assert.equal(config.codec, 'h264');
    assert.deepEqual([config.width, config.height], [320, 240]);
    const record = parseAvcC(config.description!);
    const sps = parseSps(record.sps[0]!);
    assert.deepEqual([sps.width, sps.height], [320, 240]);
    assert.match(config.codecString, /^avc1\.[0-9A-F]{6}$/);
    for (const u of units) {
      const nalus = splitAvc(u.data); // valid 4-byte lengths throughout
      assert.ok(!nalus.some((n) => (n[0]! & 0x1f) === NalType.AUD), 'delimiters left out');
      if (u.keyframe)
        assert.ok(
          nalus.some((n) => (n[0]! & 0x1f) === NalType.SPS),
          'SPS with each keyframe',
        );
    }
  });

  it('emits each packet at once, without waiting for the next', () => {
    const annexB = ffmpegH264({ width: 320, height: 240, frames: 5, gop: 5, aud: true });
    const { stream, units } = collect();
    const aus = accessUnits(annexB);
    stream.pushPacket(aus[0]!);
    assert.equal(units.length, 1);
    assert.ok(units[0]!.keyframe);
    stream.pushPacket(aus[1]!);
    assert.equal(units.length, 2);
  });

  it('starts at the first keyframe, and after a dropped huge access unit at the next one', () => {
    const annexB = ffmpegH264({ width: 320, height: 240, frames: 30, gop: 10, aud: true });
    const aus = accessUnits(annexB);
    const { stream, units, fatal } = collect({ maxAccessUnitBytes: 64 * 1024 });
    // Join mid-GOP: units 3..9 have no keyframe before them.
    for (const au of aus.slice(3, 10)) stream.pushPacket(au);
    assert.equal(units.length, 0);
    assert.equal(stream.counters.dropped, 7);
    for (const au of aus.slice(10, 13)) stream.pushPacket(au);
    assert.equal(units.length, 3);
    // A huge access unit (a slice of 100 kB) is dropped; what follows waits for the next keyframe.
    const huge = Buffer.concat([Buffer.from([0, 0, 0, 1, 9, 0xf0, 0, 0, 0, 1, 0x41]), Buffer.alloc(100_000, 0x55)]);
    stream.pushPacket(huge);
    for (const au of aus.slice(13, 20)) stream.pushPacket(au);
    assert.equal(units.length, 3, 'nothing until the next keyframe');
    stream.pushPacket(aus[20]!);
    assert.equal(units.length, 4);
    assert.ok(units[3]!.keyframe);
    assert.deepEqual(fatal, []);
  });

  it('ends, saying why, when a stream has no SPS/PPS', () => {
    const annexB = ffmpegH264({ width: 320, height: 240, frames: 40, gop: 40, aud: true });
    const stripped = accessUnits(annexB).map((au) =>
      Buffer.concat(
        splitAnnexB(au)
          .filter((n) => ![NalType.SPS, NalType.PPS].includes((n[0]! & 0x1f) as 7 | 8))
          .flatMap((n) => [Buffer.from([0, 0, 0, 1]), buf(n)]),
      ),
    );
    const { stream, units, fatal } = collect({ maxUnitsWithoutConfig: 30 });
    for (const au of stripped) stream.pushPacket(au);
    assert.equal(units.length, 0);
    assert.equal(fatal.length, 1);
    assert.match(fatal[0]!, /no SPS\/PPS in the H\.264 stream after 31 access units/);
  });

  it('ends when the SPS changes every frame, keeps the TrackConfig when it does not', () => {
    const a = accessUnits(ffmpegH264({ width: 320, height: 240, frames: 10, gop: 1, aud: true }));
    const b = accessUnits(ffmpegH264({ width: 160, height: 120, frames: 10, gop: 1, aud: true }));
    const { stream, units, fatal } = collect();
    for (let i = 0; i < 10; i++) stream.pushPacket(i % 2 ? b[i]! : a[i]!);
    assert.equal(fatal.length, 1);
    assert.match(fatal[0]!, /SPS\/PPS changed 6 times in 10 s/);
    const configs = new Set(units.map((u) => u.config));
    assert.equal(configs.size, 6, 'a new TrackConfig per change, until the bound');
    // Same bytes again: same object.
    const steady = collect();
    for (const au of a) steady.stream.pushPacket(au);
    assert.equal(new Set(steady.units.map((u) => u.config)).size, 1);
    assert.equal(steady.units.length, 10);
  });

  it('drops units whose SPS does not parse, and ends when none ever does', () => {
    const aus = accessUnits(ffmpegH264({ width: 320, height: 240, frames: 40, gop: 1, aud: true }));
    // Corrupt the SPS of every access unit: its payload replaced by 0xff bytes (exp-Golomb overflow).
    const broken = aus.map((au) => {
      const nalus = splitAnnexB(au).map((n) =>
        (n[0]! & 0x1f) === NalType.SPS
          ? Buffer.concat([Buffer.from([n[0]!, 100, 0, 30]), Buffer.alloc(8, 0xff)])
          : buf(n),
      );
      return Buffer.concat(nalus.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n]));
    });
    const { stream, units, fatal } = collect();
    for (const au of broken) stream.pushPacket(au);
    assert.equal(units.length, 0);
    assert.equal(fatal.length, 1);
    assert.match(fatal[0]!, /SPS\/PPS do not parse \(30 in a row\)/);
    assert.ok(stream.counters.badParameterSets >= 30);
  });

  it('ends after megabytes of garbage without an access unit, with bounded memory', () => {
    const { stream, units, fatal } = collect({ maxAccessUnitBytes: 256 * 1024 });
    const garbage = Buffer.alloc(64 * 1024, 0xa5);
    for (let i = 0; i < 64 && fatal.length === 0; i++) stream.push(garbage);
    assert.equal(units.length, 0);
    assert.equal(fatal.length, 1);
    assert.match(fatal[0]!, /no H\.264 access unit in 1 MiB/);
    // Random bytes with start codes in them: whatever happens, no throw and nothing unbounded.
    const random = collect({ maxAccessUnitBytes: 64 * 1024 });
    let seed = 7;
    for (let i = 0; i < 200; i++) {
      const chunk = Buffer.alloc(4096);
      for (let j = 0; j < chunk.length; j++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        chunk[j] = seed % 5 === 0 ? 0 : seed % 7 === 0 ? 1 : (seed >>> 16) & 0xff;
      }
      random.stream.push(chunk);
      random.stream.pushPacket(chunk);
    }
    assert.equal(random.units.length, 0, 'no unit without SPS/PPS and a keyframe');
    assert.ok(random.stream.splitterCounters.discardedBytes > 0 || random.stream.counters.dropped > 0);
  });
});

describe('NalStream with H.265', { skip: hasEncoder('libx265') ? false : 'this ffmpeg has no libx265' }, () => {
  it('turns a real libx265 stream into length-prefixed units with an hvcC configuration', () => {
    const annexB = ffmpegH265({ width: 320, height: 240, frames: 30, gop: 10, x265Params: 'aud=1' });
    const { stream, units, fatal } = collect({ codec: 'h265' });
    for (let at = 0; at < annexB.length; at += 1000) stream.push(buf(annexB.subarray(at, at + 1000)));
    stream.flush();
    assert.deepEqual(fatal, []);
    assert.equal(units.length, 30);
    assert.deepEqual(
      units.flatMap((u, i) => (u.keyframe ? [i] : [])),
      [0, 10, 20],
    );
    const config = units[0]!.config;
    assert.ok(units.every((u) => u.config === config));
    assert.equal(config.codec, 'h265');
    assert.deepEqual([config.width, config.height], [320, 240]);
    assert.match(config.codecString, /^hvc1\.1\.6\.L\d+\.[0-9A-F]{2}/);
    const record = parseHvcC(config.description!);
    assert.equal(record.vps.length + record.sps.length + record.pps.length, 3);
    for (const u of units) {
      const types = splitAvc(u.data).map((n) => hevcNalType(n));
      assert.ok(!types.includes(HevcNalType.AUD), 'delimiters left out');
      if (u.keyframe) assert.ok(types.includes(HevcNalType.VPS) && types.includes(HevcNalType.SPS));
    }
  });

  it('ends, saying why, when the VPS/SPS/PPS never come', () => {
    const annexB = ffmpegH265({ width: 160, height: 96, frames: 40, gop: 40 });
    const noSets = splitAnnexB(annexB).filter(
      (n) => hevcNalType(n) < HevcNalType.VPS || hevcNalType(n) > HevcNalType.PPS,
    );
    const { stream, units, fatal } = collect({ codec: 'h265', maxUnitsWithoutConfig: 30 });
    for (const nal of noSets) stream.push(Buffer.concat([Buffer.from([0, 0, 0, 1]), buf(nal)]));
    stream.flush();
    assert.equal(units.length, 0);
    assert.match(fatal[0]!, /no VPS\/SPS\/PPS in the H\.265 stream after 31 access units/);
  });
});
