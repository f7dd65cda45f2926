/**
 * RemoteSource: a start while the edge's connection is not bound yet. A camera wanted the moment it is
 * published (a recording asks for it before the announce has bound the link) must reach the edge once
 * the link is bound, not wait for a stall to restart it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import type { SourceSink } from '../../src/media/index.js';
import { RemoteSource, type EdgeLink } from '../../src/relay/remote-source.js';

function link(): EdgeLink & { starts: number; stops: number } {
  return {
    starts: 0,
    stops: 0,
    start() {
      this.starts++;
    },
    stop() {
      this.stops++;
    },
  };
}

function sink(): SourceSink & { ends: string[] } {
  return {
    ends: [],
    unit() {},
    ended(reason: string) {
      this.ends.push(reason);
    },
  } as SourceSink & { ends: string[] };
}

describe('RemoteSource', () => {
  it('asks the edge for a camera started just before its link was bound', async () => {
    const source = new RemoteSource('shed');
    const s = sink();
    const l = link();
    source.start(s);
    source.bind(l);
    await tick();
    assert.equal(l.starts, 1, 'the edge was asked');
    assert.deepEqual(s.ends, [], 'the run goes on');
    await source.stop();
    assert.equal(l.stops, 1);
  });

  it('ends a start with no link bound, and a later bind asks nothing', async () => {
    const source = new RemoteSource('shed');
    const s = sink();
    source.start(s);
    await tick();
    assert.deepEqual(s.ends, ['edge "shed" is not connected']);
    const l = link();
    source.bind(l);
    assert.equal(l.starts, 0);
  });
});
