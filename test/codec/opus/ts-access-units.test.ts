import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodecError } from '../../../src/codec/errors.js';
import { buildOpusTsPayload, parseOpusTsPayload } from '../../../src/codec/opus/ts-access-units.js';

describe('Opus in MPEG-TS', () => {
  it('splits a PES payload into its packets, sizes of 255 and over included', () => {
    const packets = [300, 255, 254, 1].map((n, k) => Uint8Array.from({ length: n }, (_, i) => (i + k) & 0xff));
    const units = parseOpusTsPayload(buildOpusTsPayload(packets));
    assert.deepEqual(
      units.map((u) => Buffer.from(u.packet)),
      packets.map((p) => Buffer.from(p)),
    );
  });

  it('reads the start and end trims and skips the control extension', () => {
    // Prefix 0x3ff, start and end trim and extension flags; size 2; trims 312 and 100; a 1-byte extension.
    const payload = Uint8Array.from([0x7f, 0xfc, 2, 0x01, 0x38, 0x00, 0x64, 1, 0xaa, 0xf8, 0x00]);
    assert.deepEqual(parseOpusTsPayload(payload), [
      { packet: Uint8Array.from([0xf8, 0x00]), startTrim: 312, endTrim: 100 },
    ]);
  });

  it('refuses what is not Opus in MPEG-TS, or runs past its PES', () => {
    for (const bad of [
      Uint8Array.from([0x12, 0x34, 1, 0]), // no prefix
      Uint8Array.from([0x7f, 0xe0, 255]), // size cut off
      Uint8Array.from([0x7f, 0xe0, 10, 1, 2]), // packet cut off
      Uint8Array.from([0x7f, 0xf0, 1]), // start trim cut off
      Uint8Array.from([0x7f, 0xe0, 0]), // empty
      Uint8Array.from([0x7f]),
    ]) {
      assert.throws(() => parseOpusTsPayload(bad), CodecError, Buffer.from(bad).toString('hex'));
    }
  });
});
