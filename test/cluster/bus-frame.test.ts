/**
 * The bus frame format (src/cluster/bus-frame.ts): units chunked under the server's max_payload and put
 * back together, a keyframe's configuration carried along, a missing chunk dropping its unit, and
 * malformed chunks refused with a reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUS_HEADER_BYTES, BusReassembler, decodeBusChunk, encodeBusUnit } from '../../src/cluster/bus-frame.js';
import type { TrackConfig } from '../../src/media/index.js';

const config: TrackConfig = Object.freeze({
  codec: 'h264',
  width: 320,
  height: 240,
  codecString: 'avc1.42C00D',
  description: new Uint8Array([1, 0x42, 0xc0, 0x0d, 0xff, 0xe1, 0, 0]),
});

function unit(seq: number, bytes: number, keyframe = true) {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 7 + seq) & 0xff;
  return {
    seq,
    keyframe,
    capturedAt: 1_700_000_000_000.5,
    pts: seq * 3000,
    dts: seq * 3000,
    wallTime: 1_700_000_000_000,
    config,
    data,
  };
}

function decodeAll(chunks: Buffer[], assembler = new BusReassembler()) {
  const out = [];
  for (const chunk of chunks) {
    const decoded = decodeBusChunk(chunk);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
    const whole = assembler.push(decoded.message);
    if (whole) out.push(whole);
  }
  return out;
}

describe('bus frames', () => {
  it('chunks a unit under max_payload and puts it back together, with its configuration and times', () => {
    const u = unit(7, 300_000);
    const chunks = encodeBusUnit(u, 64 * 1024);
    assert.ok(chunks.length >= 5);
    assert.ok(chunks.every((c) => c.length <= 64 * 1024));
    const [back] = decodeAll(chunks);
    assert.ok(back);
    assert.deepEqual(back.data, u.data);
    assert.equal(back.seq, 7);
    assert.equal(back.keyframe, true);
    assert.equal(back.pts, 21_000);
    assert.equal(back.capturedAt, u.capturedAt);
    assert.equal(back.config?.codec, 'avc1.42C00D');
    assert.equal(back.config?.width, 320);
  });

  it('carries no configuration on other units', () => {
    const [back] = decodeAll(encodeBusUnit(unit(8, 1000, false), 1024 * 1024));
    assert.equal(back?.config, undefined);
    assert.equal(back?.keyframe, false);
  });

  it('drops a unit whose chunk went missing, and takes the next whole one', () => {
    const assembler = new BusReassembler();
    const first = encodeBusUnit(unit(1, 10_000), 4096);
    const second = encodeBusUnit(unit(2, 3000), 4096);
    const got = decodeAll([...first.slice(0, 1), ...first.slice(2), ...second], assembler);
    assert.deepEqual(
      got.map((u) => u.seq),
      [2],
    );
    assert.ok(assembler.lost >= 1);
  });

  it('refuses malformed chunks with a reason', () => {
    const good = encodeBusUnit(unit(3, 100), 1024 * 1024)[0]!;
    const broken = (edit: (b: Buffer) => void) => {
      const b = Buffer.from(good);
      edit(b);
      return decodeBusChunk(b);
    };
    assert.equal(decodeBusChunk(good.subarray(0, BUS_HEADER_BYTES - 1)).ok, false);
    assert.equal(broken((b) => (b[0] = 9)).ok, false); // version
    assert.equal(broken((b) => (b[2] = 77)).ok, false); // codec
    assert.equal(broken((b) => (b[3] = 5)).ok, false); // chunk index past the count
    assert.equal(broken((b) => b.writeUInt32BE(64 * 1024 * 1024, 8)).ok, false); // a unit too big
    assert.equal(broken((b) => b.writeDoubleBE(Number.NaN, 16)).ok, false); // sequence
    assert.equal(broken((b) => b.writeUInt16BE(60_000, 6)).ok, false); // configuration past the end
    assert.equal(broken((b) => (b[BUS_HEADER_BYTES] = 0x20)).ok, false); // configuration JSON broken
  });
});
