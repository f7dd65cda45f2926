/** The shared wire format: header codec and flags, Buffer and plain Uint8Array alike, client and server messages. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeClientMessage, parseClientMessage } from '../../src/wire/client-message.js';
import { CODEC_H264, CODEC_JPEG, FLAG_KEYFRAME, HEADER_BYTES } from '../../src/wire/constants.js';
import { decodeHeader, encodeHeader } from '../../src/wire/header.js';
import { Keepalive, type PingableSocket } from '../../src/wire/keepalive.js';
import { parseServerMessage } from '../../src/wire/server-message.js';

describe('wire header', () => {
  it('writes the same bytes into a pooled Buffer slice and into a plain Uint8Array', () => {
    const pooled = Buffer.allocUnsafe(HEADER_BYTES + 8).subarray(4); // a view at a non-zero byteOffset
    const plain = new Uint8Array(HEADER_BYTES + 4);
    encodeHeader(pooled, 2, 2 ** 32 + 7, 1234.5);
    encodeHeader(plain, 2, 2 ** 32 + 7, 1234.5);
    assert.deepEqual([...pooled.subarray(2, 2 + HEADER_BYTES)], [...plain.subarray(2, 2 + HEADER_BYTES)]);
    const expected = Buffer.alloc(HEADER_BYTES);
    expected.set([1, CODEC_JPEG, FLAG_KEYFRAME, HEADER_BYTES]);
    expected.writeUInt32BE(7, 4);
    expected.writeDoubleBE(1234.5, 8);
    assert.deepEqual(Buffer.from(plain.subarray(2, 2 + HEADER_BYTES)), expected);
  });

  it('carries another codec and flags', () => {
    const message = new Uint8Array(HEADER_BYTES);
    encodeHeader(message, 0, 9, 10, CODEC_H264, 0);
    const header = decodeHeader(message);
    assert.equal(header.codec, CODEC_H264);
    assert.equal(header.flags, 0);
    assert.equal(header.seq, 9);
  });
});

describe('wire messages', () => {
  it('round-trips every client message', () => {
    for (const m of [{ type: 'ack', seq: 5 }, { type: 'ping', t: 1.5 }, { type: 'pause' }, { type: 'resume' }] as const)
      assert.deepEqual(parseClientMessage(encodeClientMessage(m)), { ok: true, message: m });
  });

  it('reads server messages, ignoring unknown and malformed ones', () => {
    assert.deepEqual(parseServerMessage('{"type":"pong","t":1,"server":2}'), { type: 'pong', t: 1, server: 2 });
    assert.equal(parseServerMessage('{"type":"status"}'), undefined);
    assert.equal(parseServerMessage('{"type":"later"}'), undefined);
    assert.equal(parseServerMessage('not json'), undefined);
  });
});

describe('keepalive', () => {
  it('pings, and terminates a peer that stays silent for a whole period', async () => {
    const events: string[] = [];
    let onPong = (): void => {};
    const socket: PingableSocket = {
      ping: () => {
        events.push('ping');
        if (events.length === 1) onPong(); // the peer answers the first ping only
      },
      terminate: () => events.push('terminate'),
      on: (_event, listener) => (onPong = listener),
    };
    const keepalive = new Keepalive(socket, () => events.push('silent'), 10);
    await waitUntil(() => events.includes('terminate'));
    keepalive.stop();
    assert.deepEqual(events.slice(0, 4), ['ping', 'ping', 'silent', 'terminate']);
  });
});

async function waitUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(done());
}
