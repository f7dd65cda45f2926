/**
 * The password-check queue is fair between senders: one sender holds at most its share of the
 * waiting places, a sender with fewer places takes one from the sender with the most when the
 * queue is full, and waiting checks are served round robin. The checks here are promises the
 * test settles itself (the queue is what is tested, not scrypt).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HashQueue } from '../../src/security/hash-queue.js';

/** A check that runs until finish() is called; `started` says whether it ran. */
function check(queue: HashQueue, sender: string, ran: string[]) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const result = queue.run(sender, async () => {
    ran.push(sender);
    await done;
    return sender;
  });
  return { result, finish };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the password-check queue', () => {
  it('one sender holds at most its share of the waiting places; others still get one', async () => {
    const queue = new HashQueue(1, 8); // a share of 2
    const ran: string[] = [];
    const running = check(queue, 'flood', ran);
    const flood = Array.from({ length: 5 }, () => check(queue, 'flood', ran));
    const owner = check(queue, 'owner', ran);
    await tick();
    // Beyond its two waiting places, the flood's checks are refused at once.
    assert.deepEqual(await Promise.all(flood.slice(2).map((c) => c.result)), [undefined, undefined, undefined]);
    running.finish();
    owner.finish();
    for (const c of flood.slice(0, 2)) c.finish();
    assert.equal(await owner.result, 'owner');
    assert.deepEqual(await Promise.all(flood.slice(0, 2).map((c) => c.result)), ['flood', 'flood']);
  });

  it('a full queue: a newcomer takes the place of the newest check of the sender holding most', async () => {
    const queue = new HashQueue(1, 8);
    const ran: string[] = [];
    const running = check(queue, 'x', ran);
    const held = ['a', 'a', 'b', 'b', 'c', 'c', 'd', 'd'].map((sender) => check(queue, sender, ran));
    const e = check(queue, 'e', ran);
    const f = check(queue, 'f', ran);
    await tick();
    // a and b (the first holding the most) each gave their newest place up: refused.
    assert.equal(await held[1]!.result, undefined);
    assert.equal(await held[3]!.result, undefined);
    // Now c and d hold two each, the others one: g and h take theirs; i finds everyone at one and is refused.
    const g = check(queue, 'g', ran);
    const h = check(queue, 'h', ran);
    const i = check(queue, 'i', ran);
    assert.equal(await i.result, undefined);
    assert.equal(await held[5]!.result, undefined);
    assert.equal(await held[7]!.result, undefined);
    for (const c of [running, ...held, e, f, g, h]) c.finish();
    const admitted = [held[0], held[2], held[4], held[6], e, f, g, h].map((c) => c!.result);
    assert.deepEqual(await Promise.all(admitted), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
  });

  it('serves waiting checks round robin between senders, not first come first served', async () => {
    const queue = new HashQueue(1, 16); // a share of 4
    const ran: string[] = [];
    const checks = [check(queue, 'x', ran), ...['a', 'a', 'a', 'a', 'b', 'c'].map((s) => check(queue, s, ran))];
    await tick();
    for (const c of checks) c.finish();
    await Promise.all(checks.map((c) => c.result));
    assert.deepEqual(ran, ['x', 'a', 'b', 'c', 'a', 'a', 'a']);
  });

  it('runs at most `concurrency` at once, and frees its slots', async () => {
    const queue = new HashQueue(2, 0);
    const ran: string[] = [];
    const a = check(queue, 'a', ran);
    const b = check(queue, 'b', ran);
    const c = check(queue, 'c', ran);
    assert.equal(await c.result, undefined, 'no waiting places: refused');
    a.finish();
    b.finish();
    await Promise.all([a.result, b.result]);
    const d = check(queue, 'd', ran);
    d.finish();
    assert.equal(await d.result, 'd');
  });
});
