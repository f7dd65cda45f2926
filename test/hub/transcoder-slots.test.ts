/** The hub-wide transcoder cap: edges' cameras hold at most half of it, the hub's own cameras the rest. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TranscoderSlots } from '../../src/hub/transcoder-slots.js';

describe('transcoder slots', () => {
  it('caps the hub, keeps half for its own cameras, and gives each slot back once', () => {
    const slots = new TranscoderSlots(5);
    assert.equal(slots.edgeLimit, 2);
    const edge = slots.pool('edge');
    const own = slots.pool('own');
    const e1 = edge.take();
    const e2 = edge.take();
    assert.ok(e1 && e2);
    assert.equal(edge.take(), undefined, "over the edges' share");
    const owned = [own.take(), own.take(), own.take()];
    assert.ok(owned.every(Boolean));
    assert.equal(own.take(), undefined, 'over the cap');
    assert.equal(slots.refused, 2);
    e1();
    e1(); // given back twice: counted once
    assert.equal(slots.inUse, 4);
    assert.equal(slots.edgeInUse, 1);
    assert.ok(own.take(), "a freed edge slot is anyone's");
    assert.equal(edge.take(), undefined, 'the hub is full');
  });

  it('a limit of one still lets an edge have one', () => {
    assert.equal(new TranscoderSlots(1).edgeLimit, 1);
  });
});
