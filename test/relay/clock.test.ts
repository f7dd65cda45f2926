/** The hub's estimate of an edge's clock (src/relay/clock.ts) and the hello fields that negotiate the codec. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EdgeClock, MAX_UPLINK_DELAY_MS } from '../../src/relay/clock.js';
import { parseEdgeMessage, parseHubMessage } from '../../src/relay/messages.js';

describe('edge clock', () => {
  it('is the arrival until a pong has been measured', () => {
    const clock = new EdgeClock();
    assert.equal(clock.offsetMs, undefined);
    assert.equal(clock.toHub(500, 1000), 1000);
  });

  it('estimates the offset from the pong with the smallest round trip, within half of it', () => {
    const clock = new EdgeClock();
    const offset = 5000; // the edge's clock runs 5 s ahead
    // A pong that waited 400 ms behind video on the uplink, then a quick one.
    clock.sample(1000, 1010 + offset, 1410);
    clock.sample(2000, 2005 + offset, 2010);
    assert.equal(clock.rttMs, 10);
    assert.ok(Math.abs(clock.offsetMs! - offset) <= 200, `${clock.offsetMs}`);
    for (let i = 0; i < 8; i++) clock.sample(3000 + i * 100, 3005 + i * 100 + offset, 3010 + i * 100);
    assert.ok(Math.abs(clock.offsetMs! - offset) <= 5, `${clock.offsetMs}`);
    // A frame captured 80 ms before it arrived maps to 80 ms before its arrival (± half the round trip).
    assert.ok(Math.abs(clock.toHub(10_000 - 80 + offset, 10_000) - (10_000 - 80)) <= 5);
  });

  it('never maps into the future, nor further back than the bound', () => {
    const clock = new EdgeClock();
    clock.sample(1000, 1005, 1010);
    assert.equal(clock.toHub(99_999, 2000), 2000);
    assert.equal(clock.toHub(-1e12, 100_000), 100_000 - MAX_UPLINK_DELAY_MS);
    assert.equal(clock.toHub(NaN, 2000), 2000);
    // Samples that cannot be (negative or huge round trips, non-finite times) change nothing.
    const before = clock.offsetMs;
    clock.sample(5000, 1, 4000);
    clock.sample(5000, Infinity, 5001);
    assert.equal(clock.offsetMs, before);
  });
});

describe('codec negotiation in the hellos', () => {
  it('reads the codecs an edge offers, skipping unknown ones; none listed is an older edge', () => {
    const hello = parseEdgeMessage(
      '{"type":"hello","protocol":1,"role":"edge","edge":"e1","codecs":["av1","h264","jpeg"]}',
    );
    assert.ok(hello.ok && hello.message.type === 'hello');
    assert.deepEqual(hello.message.type === 'hello' && hello.message.codecs, ['h264', 'jpeg']);
    const old = parseEdgeMessage('{"type":"hello","protocol":1,"role":"edge","edge":"e1"}');
    assert.ok(old.ok && old.message.type === 'hello' && old.message.codecs === undefined);
    assert.equal(parseEdgeMessage('{"type":"hello","protocol":1,"role":"edge","edge":"e1","codecs":"h264"}').ok, false);
  });

  it('reads what a hub accepts; an older hub lists nothing', () => {
    const hub = parseHubMessage('{"type":"hello","protocol":1,"role":"hub","codecs":["h264","jpeg"]}');
    assert.ok(hub.ok && hub.message.type === 'hello');
    assert.deepEqual(hub.message.type === 'hello' && hub.message.codecs, ['h264', 'jpeg']);
    const old = parseHubMessage('{"type":"hello","protocol":1,"role":"hub","maxFrameBytes":4194304}');
    assert.ok(old.ok && old.message.type === 'hello' && old.message.codecs === undefined);
  });
});
