/** FairQueue: bounded slots served client by client, with per-client and total bounds on waiting. */
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { FairQueue } from '../src/fair-queue.js';

describe('FairQueue', () => {
  it('serves waiters one client after another, not in arrival order', async () => {
    const queue = new FairQueue({ concurrency: 1, perClient: 10, total: 20 });
    const order: string[] = [];
    // Each waiter, once in, notes itself and leaves at the next turn of the loop.
    const wait = (client: string): Promise<void> =>
      queue.enter(client).then((release) => {
        assert.equal(typeof release, 'function');
        order.push(client);
        setImmediate(release as () => void);
      });
    const first = (await queue.enter('flood')) as () => void;
    const all = [wait('flood'), wait('flood'), wait('flood'), wait('owner')];
    assert.equal(queue.waitingCount, 4);
    first();
    await Promise.all(all);
    assert.deepEqual(order, ['flood', 'owner', 'flood', 'flood']);
  });

  it('refuses a client past its own share while others still get in, and everyone past the total', async () => {
    const queue = new FairQueue({ concurrency: 1, perClient: 2, total: 3 });
    const held = await queue.enter('a');
    assert.equal(typeof held, 'function');
    const a1 = queue.enter('a');
    const a2 = queue.enter('a');
    assert.equal(await queue.enter('a'), 'client', "a's third waiter is refused");
    const b1 = queue.enter('b');
    assert.equal(await queue.enter('c'), 'full', 'three waiting in all');
    (held as () => void)();
    for (const p of [a1, b1, a2]) {
      const release = await p;
      assert.equal(typeof release, 'function');
      (release as () => void)();
    }
    assert.equal(queue.waitingCount, 0);
    assert.equal(typeof (await queue.enter('c')), 'function', 'free again once everyone left');
  });

  it('frees a slot once however often its release is called', async () => {
    const queue = new FairQueue({ concurrency: 1, perClient: 1, total: 2 });
    const release = (await queue.enter('a')) as () => void;
    let bIn = false;
    let cIn = false;
    void queue.enter('b').then(() => (bIn = true));
    void queue.enter('c').then(() => (cIn = true));
    release();
    release();
    await tick();
    await tick();
    assert.equal(bIn, true, 'b took the freed slot');
    assert.equal(cIn, false, 'c still waits: one slot was freed, not two');
  });
});
