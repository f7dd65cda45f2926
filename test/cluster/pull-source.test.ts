/**
 * A remote camera's source (src/cluster/pull-source.ts) against a real nats-server, the owner played by
 * hand: the want request with its catch-up group of pictures, the lease renewed each heartbeat, units
 * taken in sequence, a gap (units lost on the bus) skipped to the next keyframe, malformed chunks dropped
 * and counted, and the stop that ends the owner's lease.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { encodeBusUnit } from '../../src/cluster/bus-frame.js';
import type { Placement } from '../../src/cluster/catalogue.js';
import { PullSource } from '../../src/cluster/pull-source.js';
import { subjects, type WantRequest } from '../../src/cluster/subjects.js';
import { toAvc } from '../../src/codec/h264/nal.js';
import type { SourceUnit, TrackConfig } from '../../src/media/index.js';
import { encodedTrack } from '../codec/fixtures.js';
import { quietLogger, requireInCi, skipOutsideCi, waitFor } from '../support/index.js';
import { natsMissing, NatsServer } from '../support/nats.js';

const missing = natsMissing();
const skip = skipOutsideCi(missing);

const track = encodedTrack({ width: 160, height: 120, frames: 16, gop: 6, source: 'testsrc' });
const config: TrackConfig = Object.freeze({
  codec: 'h264',
  width: track.width,
  height: track.height,
  codecString: track.codec,
  description: track.avcC,
});
const units = track.aus.map((au) => {
  const avc = toAvc(au.nalus.filter((n) => (n[0]! & 0x1f) !== 9));
  return { data: Buffer.from(avc.buffer, avc.byteOffset, avc.byteLength), keyframe: au.keyframe };
});

/** Unit `seq` (1-based: units[seq - 1]) as the owner puts it on the bus. */
function chunks(seq: number): Buffer[] {
  const u = units[seq - 1]!;
  return encodeBusUnit(
    {
      seq,
      keyframe: u.keyframe,
      capturedAt: Date.now(),
      pts: seq * 3000,
      dts: seq * 3000,
      wallTime: Date.now(),
      config,
      data: u.data,
    },
    1024 * 1024,
  );
}

describe('a remote camera pulled over the bus', { skip }, () => {
  let nats: NatsServer;
  let owner: NatsConnection;
  let hub: NatsConnection;
  const wants: WantRequest[] = [];

  before(async () => {
    if (missing) return;
    nats = await NatsServer.start();
    [owner, hub] = await Promise.all([connect({ servers: nats.url }), connect({ servers: nats.url })]);
    owner.subscribe(subjects.want('hub-a'), {
      callback: (_err, msg) => {
        const want = msg.json<WantRequest>();
        wants.push(want);
        if (!want.catchUp) return;
        // The current GOP (units 1 to 3) to the hub's catch-up subject, then the answer.
        for (const seq of [1, 2, 3])
          for (const c of chunks(seq)) owner.publish(subjects.catchUp(want.hub, want.camera), c);
        msg.respond(JSON.stringify({ ok: true }));
      },
    });
    await owner.flush();
  });

  after(async () => {
    await owner?.close();
    await hub?.close();
    await nats?.stop();
  });

  it('takes the catch-up, then units in sequence, and skips a gap to the next keyframe', async () => {
    requireInCi(missing);
    assert.deepEqual(
      units.map((u, i) => (u.keyframe ? i + 1 : 0)).filter(Boolean),
      [1, 7, 13],
      'the fixture: keyframes at 1, 7 and 13',
    );
    const place: Placement = {
      owner: 'hub-a',
      reachable: true,
      ownerStartedAt: 1,
      camera: {
        id: 'cam',
        name: 'cam',
        kind: 'rtsp',
        state: 'online',
        codec: 'h264',
        width: 160,
        height: 120,
        since: 1,
      },
    };
    const source = new PullSource(
      'cam',
      { self: 'hub-b', heartbeatMs: 200, connection: () => hub, place: () => place },
      quietLogger(),
    );
    const got: SourceUnit[] = [];
    const ended: string[] = [];
    source.start({ unit: (u) => got.push(u), ended: (reason) => ended.push(reason) });
    await waitFor(() => got.length >= 3 || undefined, 5000, 'the catch-up group of pictures');

    const live = (seq: number) => {
      for (const c of chunks(seq)) owner.publish(subjects.media('cam'), c);
    };
    live(4);
    live(5);
    // 6 lost on the way; 8 and 9 cannot be decoded without it.
    live(8);
    live(9);
    owner.publish(
      subjects.media('cam'),
      Buffer.from('not a bus frame, not at all: sixty-four bytes or more of junk!!!!!'),
    );
    live(13);
    live(14);
    await owner.flush();
    await waitFor(() => got.length >= 7 || undefined, 5000, 'units after the gap');
    const seqOf = (u: SourceUnit) => units.findIndex((x) => x.data.equals(u.data)) + 1;
    assert.deepEqual(got.map(seqOf), [1, 2, 3, 4, 5, 13, 14]);
    assert.ok(
      got.every((u) => u.config === got[0]!.config),
      'one configuration object while it does not change',
    );
    assert.equal(got[5]!.pts, 13 * 3000, "the owner's pts carried over");
    assert.ok(source.tally.gaps >= 1, 'the gap counted');
    assert.equal(source.tally.rejected, 1, 'the junk counted');
    assert.deepEqual(ended, []);

    // The lease is renewed every heartbeat, and ended by stop().
    await waitFor(() => wants.filter((w) => !w.catchUp && !w.stop).length >= 2 || undefined, 3000, 'lease renewals');
    await source.stop();
    await waitFor(() => wants.find((w) => w.stop) ?? undefined, 3000, 'the stop');
  });
});
