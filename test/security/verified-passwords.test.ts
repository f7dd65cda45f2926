/**
 * Passwords that checked out a moment ago: only that name with that password, only against the
 * stored hash it matched, only for the time given, and a bounded number of them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VerifiedPasswords } from '../../src/security/verified-passwords.js';

describe('verified passwords', () => {
  it('matches the same name, password and stored hash only', () => {
    const verified = new VerifiedPasswords();
    verified.remember('alice', 'secret', 'hash-1');
    assert.equal(verified.has('alice', 'secret', 'hash-1'), true);
    assert.equal(verified.has('alice', 'Secret', 'hash-1'), false, 'another password');
    assert.equal(verified.has('alicesecret', '', 'hash-1'), false, 'the same characters split otherwise');
    assert.equal(verified.has('bob', 'secret', 'hash-1'), false, 'another user');
    assert.equal(verified.has('alice', 'secret', 'hash-2'), false, 'the password hash was changed');
    assert.equal(verified.has('alice', 'secret', 'hash-1'), false, 'forgotten once the hash changed');
  });

  it('forgets after its time, and the oldest first when full', async () => {
    const short = new VerifiedPasswords(20);
    short.remember('alice', 'secret', 'h');
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(short.has('alice', 'secret', 'h'), false);

    const small = new VerifiedPasswords(60_000, 2);
    for (const name of ['a', 'b', 'c']) small.remember(name, 'pw', 'h');
    assert.deepEqual(
      ['a', 'b', 'c'].map((name) => small.has(name, 'pw', 'h')),
      [false, true, true],
    );
  });
});
