/**
 * One announced camera on an edge's connection (the hub side): a start with `from` for an edge that keeps
 * a pre-roll, on the edge's clock, and the bounds on the buffered frames that may follow it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CameraLink, type LinkSession } from '../../src/relay/camera-link.js';
import type { PublishedCamera } from '../../src/relay/published-cameras.js';
import { MAX_BUFFER_LEAD_MS, MAX_BUFFERED_BYTES } from '../../src/relay/protocol.js';
import { type HubMessage } from '../../src/relay/messages.js';

function link(preRoll: boolean, offsetMs = 0): { link: CameraLink; sent: HubMessage[] } {
  const sent: HubMessage[] = [];
  const session: LinkSession = {
    send: (m) => sent.push(m),
    demanded: () => {},
    preRoll,
    toEdge: (t) => t + offsetMs,
  };
  return { link: new CameraLink(session, {} as PublishedCamera, 'cam', 1, 60), sent };
}

describe('camera link: pre-roll from the edge', () => {
  it("asks for the edge's buffer from `from` on its clock, only of an edge that keeps one", () => {
    const a = link(true, 250);
    a.link.start(1_000_000);
    assert.deepEqual(a.sent[0], { type: 'start', camera: 'cam', from: 1_000_250 });
    const old = link(false);
    old.link.start(1_000_000);
    assert.deepEqual(old.sent[0], { type: 'start', camera: 'cam' }, 'an older edge gets the start it knows');
    assert.match(old.link.buffered(999_000, 10) ?? '', /without a start "from"/);
  });

  it('takes buffered frames until the first live one, back to MAX_BUFFER_LEAD_MS before `from`, up to the cap', () => {
    const { link: l } = link(true);
    l.start(1_000_000);
    assert.equal(l.buffered(1_000_000 - MAX_BUFFER_LEAD_MS, 1000), undefined, 'a long GOP before from');
    assert.match(l.buffered(1_000_000 - MAX_BUFFER_LEAD_MS - 1000, 1000) ?? '', /buffered frame 61 s before "from"/);
    assert.equal(l.buffered(1_000_100, MAX_BUFFERED_BYTES - 1000), undefined, 'up to the cap');
    assert.match(l.buffered(1_000_200, 1) ?? '', /buffered video over 33554432 bytes/);
    const fresh = link(true).link;
    fresh.start(1_000_000);
    fresh.replay!.live = true;
    assert.match(fresh.buffered(1_000_100, 10) ?? '', /after live ones/);
    fresh.stop();
    assert.equal(fresh.replay, undefined, 'a stop ends it');
  });
});
