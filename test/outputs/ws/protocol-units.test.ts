/** The pure parts of the protocol: header bytes, the per-frame message, client message parsing, the flood bucket. */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { AccessUnit } from '../../../src/media/index.js';
import { jpegConfig } from '../../../src/media/jpeg.js';
import { parseClientMessage } from '../../../src/wire/client-message.js';
import { unitMessage } from '../../../src/outputs/ws/frame-message.js';
import { decodeHeader, encodeHeader, framePayload, seqDiff } from '../../../src/wire/header.js';
import { TokenBucket } from '../../../src/wire/token-bucket.js';
import { arrivalTimes, ffmpegJpeg } from '../../support/index.js';

const JPEG = ffmpegJpeg(64, 48);

function frame(seq: number, capturedAt = 1_700_000_000_123.25): AccessUnit {
  return Object.freeze({
    seq,
    data: JPEG,
    ...arrivalTimes(capturedAt),
    config: jpegConfig(64, 48),
    keyframe: true,
    placeholder: false,
  });
}

describe('frame header', () => {
  it('lays out the 16 bytes as documented, big-endian', () => {
    const buf = Buffer.alloc(20, 0xee);
    encodeHeader(buf, 2, 0x01020304, 1_700_000_000_123.25);
    assert.deepEqual([...buf.subarray(0, 2)], [0xee, 0xee], 'nothing written before the offset');
    assert.deepEqual([...buf.subarray(2, 8)], [1, 1, 1, 16, 0x01, 0x02]);
    assert.deepEqual([...buf.subarray(8, 10)], [0x03, 0x04]);
    assert.equal(buf.readDoubleBE(10), 1_700_000_000_123.25);
    assert.deepEqual([...buf.subarray(18)], [0xee, 0xee], 'nothing written after 16 bytes');
  });

  it('round-trips, and reduces the sequence number to u32', () => {
    const buf = Buffer.alloc(16);
    encodeHeader(buf, 0, 2 ** 32 + 7, 42.5);
    assert.deepEqual(decodeHeader(buf), { version: 1, codec: 1, flags: 1, headerLength: 16, seq: 7, capturedAt: 42.5 });
  });

  it('skips as many bytes as the header length says', () => {
    const buf = Buffer.concat([Buffer.alloc(16), Buffer.from([0xaa, 0xbb, 0xcc])]);
    encodeHeader(buf, 0, 1, 1);
    buf[3] = 18; // a future, longer header
    assert.deepEqual([...framePayload(buf)], [0xcc]);
  });

  it('rejects messages shorter than a header or than its length', () => {
    assert.throws(() => decodeHeader(Buffer.alloc(15)), RangeError);
    const buf = Buffer.alloc(16);
    encodeHeader(buf, 0, 1, 1);
    buf[3] = 17;
    assert.throws(() => decodeHeader(buf), RangeError);
    buf[3] = 8;
    assert.throws(() => decodeHeader(buf), RangeError);
  });

  it('compares sequence numbers across the u32 wrap', () => {
    assert.ok(seqDiff(5, 3) > 0);
    assert.ok(seqDiff(3, 5) < 0);
    assert.equal(seqDiff(7, 7), 0);
    assert.ok(seqDiff(2, 0xffff_fffe) > 0, '2 comes after 2^32-2');
    assert.ok(seqDiff(0xffff_fffe, 2) < 0);
  });
});

describe('unitMessage', () => {
  it('is header + the JPEG, built once per frame and shared', () => {
    const f = frame(9);
    const m = unitMessage(f).message;
    assert.equal(m.length, 16 + JPEG.length);
    assert.equal(decodeHeader(m).seq, 9);
    assert.equal(decodeHeader(m).capturedAt, f.capturedAt);
    assert.ok(m.subarray(16).equals(JPEG));
    assert.equal(unitMessage(f).message, m, 'the same Buffer for every viewer');
    assert.notEqual(unitMessage(frame(9)).message, m, 'another Frame object gets its own message');
  });

  it('comes inside a WebSocket frame that ws reads back as that binary message, at every length form', async () => {
    // ws's own frame parser (exported, not in its typings): what a client's WebSocket does with the bytes.
    const { Receiver } = createRequire(import.meta.url)('ws') as { Receiver: new (options: object) => Writable };
    // 7-bit, 16-bit and 64-bit payload lengths (RFC 6455 section 5.2).
    for (const size of [10, 109, 110, 65_519, 65_520, 200_000]) {
      const data = Buffer.alloc(size, size % 251);
      const u: AccessUnit = Object.freeze({ ...frame(size), data });
      const wire = unitMessage(u).frame;
      assert.equal(unitMessage(u).frame, wire, 'built once');
      const receiver = new Receiver({ isServer: false, maxPayload: 0 });
      const received = new Promise<{ data: Buffer; binary: boolean }>((resolve, reject) => {
        receiver.on('message', (message: Buffer, binary: boolean) => resolve({ data: message, binary }));
        receiver.on('error', reject);
      });
      receiver.write(wire);
      const got = await received;
      assert.ok(got.binary, `${size}: binary`);
      assert.ok(got.data.equals(unitMessage(u).message), `${size}: the message`);
      assert.equal(wire.length - unitMessage(u).message.length, size + 16 < 126 ? 2 : size + 16 < 65_536 ? 4 : 10);
    }
  });
});

describe('parseClientMessage', () => {
  const ok = (text: string) => {
    const r = parseClientMessage(text);
    assert.ok(r.ok, text);
    return r.message;
  };
  const bad = (text: string) => assert.equal(parseClientMessage(text).ok, false, text);

  it('reads the v1 messages', () => {
    assert.deepEqual(ok('{"type":"ack","seq":12}'), { type: 'ack', seq: 12 });
    assert.deepEqual(ok('{"type":"ack","seq":4294967295}'), { type: 'ack', seq: 4294967295 });
    assert.deepEqual(ok('{"type":"ping","t":1234.5,"extra":true}'), { type: 'ping', t: 1234.5 });
    assert.deepEqual(ok('{"type":"pause"}'), { type: 'pause' });
    assert.deepEqual(ok('{"type":"resume"}'), { type: 'resume' });
  });

  it('reads an ack in any JSON spelling, and the canonical one exactly', () => {
    for (const seq of [0, 7, 10, 99, 123456, 4294967294, 4294967295])
      assert.deepEqual(ok(`{"type":"ack","seq":${seq}}`), { type: 'ack', seq });
    assert.deepEqual(ok('{"type":"ack","seq":12 }'), { type: 'ack', seq: 12 });
    assert.deepEqual(ok('{ "type": "ack", "seq": 12 }'), { type: 'ack', seq: 12 });
    assert.deepEqual(ok('{"seq":12,"type":"ack"}'), { type: 'ack', seq: 12 });
    assert.deepEqual(ok('{"type":"ack","seq":12,"x":1}'), { type: 'ack', seq: 12 });
    assert.deepEqual(ok('{"type":"ack","seq":1e3}'), { type: 'ack', seq: 1000 });
    for (const text of [
      '{"type":"ack","seq":}',
      '{"type":"ack","seq":01}',
      '{"type":"ack","seq":4294967296}',
      '{"type":"ack","seq":99999999999}',
      '{"type":"ack","seq":12a}',
      '{"type":"ack","seq":12',
      '{"type":"ack","seq":12}}',
    ])
      bad(text);
  });

  it('passes unknown types through as unknown', () => {
    assert.deepEqual(ok('{"type":"zoom","level":2}'), { type: 'unknown', name: 'zoom' });
  });

  it('rejects what is not a well-formed message', () => {
    for (const text of [
      '',
      '{',
      'null',
      '[]',
      '"ack"',
      '12',
      '{}',
      '{"type":3}',
      '{"type":"ack"}',
      '{"type":"ack","seq":-1}',
      '{"type":"ack","seq":1.5}',
      '{"type":"ack","seq":4294967296}',
      '{"type":"ack","seq":"3"}',
      '{"type":"ping"}',
      '{"type":"ping","t":"now"}',
      '{"type":"ping","t":null}',
    ]) {
      bad(text);
    }
  });
});

describe('TokenBucket', () => {
  it('allows the burst, then the rate', () => {
    const bucket = new TokenBucket(100, 50, 0);
    for (let i = 0; i < 100; i++) assert.ok(bucket.take(0), `message ${i} of the burst`);
    assert.equal(bucket.take(0), false);
    assert.ok(bucket.take(20), 'one token back after 20 ms at 50/s');
    assert.equal(bucket.take(20), false);
    assert.ok(bucket.take(60_000) && bucket.take(60_000), 'refilled, capped at the burst');
  });
});
