// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * What a misbehaving client can do: each bad message has the documented
 * effect (docs/protocol.md, "Errors") on its own socket and none on a viewer
 * connected throughout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sleep, startServer, type TestServer } from '../../support/index.js';
import { V1Client, wsUrl } from '../../support/v1-client.js';

let ts: TestServer;
let witness: V1Client;

/** The witness must keep receiving frames whatever happened to the others. */
async function witnessStillServed(): Promise<void> {
  // Against the camera's own frame counter (the seqs), not the clock: 8 frames (a quarter of a second).
  const { received, made } = await witness.framesMadeWhileReceiving(8);
  assert.ok(received >= made * 0.5, `the witness got ${received} of the camera's ${made} frames`);
  assert.equal(witness.closedWith, undefined);
}

async function viewer(): Promise<V1Client> {
  const v = await V1Client.open(wsUrl(ts.url, 'cam'), { autoAck: true });
  await v.waitFrames(1);
  return v;
}

async function expectClose(v: V1Client, code: number): Promise<void> {
  const closed = await v.waitClosed(3000);
  assert.equal(closed.code, code, `closed with ${closed.code} (${closed.reason})`);
}

/** Still open, still served, and still answering: the message was ignored. */
async function expectIgnored(v: V1Client): Promise<void> {
  v.send({ type: 'ping', t: 1 });
  await v.waitText('pong', 2000);
  const before = v.frames.length;
  await v.waitFrames(before + 3, 2000);
  assert.equal(v.closedWith, undefined);
}

describe('WebSocket viewer protocol v1: bad clients', () => {
  before(async () => {
    ts = await startServer(['cam=testsrc?size=320x240&fps=30']);
    witness = await viewer();
  });
  after(async () => {
    witness.close();
    await ts.close();
  });

  const closing: [string, (v: V1Client) => void][] = [
    ['invalid JSON', (v) => v.ws.send('{"type":"ack",')],
    ['a JSON value that is not an object', (v) => v.ws.send('[1,2]')],
    ['a message without a type', (v) => v.send({ seq: 1 })],
    ['an ack without seq', (v) => v.send({ type: 'ack' })],
    ['an ack with a bad seq', (v) => v.send({ type: 'ack', seq: -3 })],
    ['a ping without t', (v) => v.send({ type: 'ping' })],
    ['an ack for a frame never sent', (v) => v.send({ type: 'ack', seq: v.lastFrame().seq + 1000 })],
    ['a binary message', (v) => v.ws.send(Buffer.from('{"type":"ping","t":1}'))],
  ];
  for (const [what, act] of closing) {
    it(`closes with 1008 on ${what}`, async () => {
      const v = await viewer();
      act(v);
      await expectClose(v, 1008);
      await witnessStillServed();
    });
  }

  it('closes with 1007 on text that is not UTF-8', async () => {
    const v = await viewer();
    v.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    await expectClose(v, 1007);
    await witnessStillServed();
  });

  it('closes with 1009 on a message over 4 KiB', async () => {
    const v = await viewer();
    v.send({ type: 'ping', t: 1, pad: 'x'.repeat(5000) });
    await expectClose(v, 1009);
    await witnessStillServed();
  });

  it('accepts a message just under 4 KiB', async () => {
    const v = await viewer();
    const msg = JSON.stringify({ type: 'ping', t: 1, pad: '' });
    v.send({ type: 'ping', t: 1, pad: 'x'.repeat(4096 - msg.length) });
    await expectIgnored(v);
    v.close();
  });

  it('closes with 1008 on a flood', async () => {
    const v = await viewer();
    for (let i = 0; i < 300; i++) v.send({ type: 'ping', t: i });
    await expectClose(v, 1008);
    assert.ok(v.texts.filter((m) => m.type === 'pong').length <= 110, 'stopped answering at about the burst');
    await witnessStillServed();
  });

  it('tolerates 40 messages a second sustained, besides acks', async () => {
    const v = await viewer();
    for (let i = 0; i < 120; i++) {
      v.send({ type: 'ping', t: i });
      await sleep(25);
    }
    await expectIgnored(v);
    v.close();
  });

  it('ignores unknown types, duplicate and old acks', async () => {
    const v = await viewer();
    v.send({ type: 'zoom', level: 3 });
    const seq = v.lastFrame().seq;
    v.send({ type: 'ack', seq });
    v.send({ type: 'ack', seq });
    v.send({ type: 'ack', seq: 0 });
    v.send({ type: 'pause', extra: 'fields are fine' });
    v.send({ type: 'resume' });
    await expectIgnored(v);
    v.close();
    await witnessStillServed();
  });
});
