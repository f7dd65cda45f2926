/**
 * The `login failed` lines are bounded per sender and in all, and what is left out is summed up
 * when the window ends. The log sink is an array (the limits are what is tested).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailureLog } from '../../src/security/failure-log.js';

function setup(limits: ConstructorParameters<typeof FailureLog>[1]) {
  const lines: string[] = [];
  const log = new FailureLog((_fields, message) => lines.push(message), limits);
  const fail = (address: string) => log.failed(address, () => lines.push(`failed ${address}`));
  return { lines, log, fail };
}

describe('the failed-login log', () => {
  it('the first few per sender, a summary of the rest per sender', () => {
    const { lines, log, fail } = setup({ perSender: 2 });
    for (let i = 0; i < 5; i++) fail('203.0.113.7');
    for (let i = 0; i < 3; i++) fail(`2001:db8::${i}`);
    fail('192.0.2.1');
    log.flush();
    assert.deepEqual(lines, [
      'failed 203.0.113.7',
      'failed 203.0.113.7',
      'failed 2001:db8::0',
      'failed 2001:db8::1',
      'failed 192.0.2.1',
      '3 more failed logins from 203.0.113.0/24 suppressed',
      '1 more failed logins from 2001:db8:0:0::/64 suppressed',
    ]);
    // A new window starts afresh.
    lines.length = 0;
    fail('203.0.113.7');
    log.flush();
    assert.deepEqual(lines, ['failed 203.0.113.7']);
  });

  it('at most `total` lines and `summaries` summaries per window, however many senders', () => {
    const { lines, log, fail } = setup({ perSender: 1, total: 3, summaries: 2 });
    for (let n = 1; n <= 2000; n++) fail(`10.${n >> 8}.${n & 255}.1`);
    for (let i = 0; i < 5; i++) fail('10.0.1.1');
    log.flush();
    assert.equal(lines.filter((l) => l.startsWith('failed')).length, 3);
    const summaries = lines.filter((l) => l.includes('suppressed'));
    assert.equal(summaries.length, 3);
    assert.equal(summaries[0], '5 more failed logins from 10.0.1.0/24 suppressed');
    // All 2005 failures are accounted for: 3 lines, 5 + 1 in the two summaries, the rest together.
    assert.equal(summaries[2], '1996 more failed logins from other addresses suppressed');
  });

  it('ends a window on its own after windowMs', async () => {
    const { lines, fail } = setup({ perSender: 1, windowMs: 20 });
    fail('192.0.2.1');
    fail('192.0.2.1');
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(lines, ['failed 192.0.2.1', '1 more failed logins from 192.0.2.0/24 suppressed']);
  });
});
