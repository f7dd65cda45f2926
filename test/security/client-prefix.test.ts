/**
 * Clients as the limits count them: an IPv6 /64 is one client (lockout and queue share); an IPv4
 * address is one client for the lockout, its /24 one sender for the password-check queue.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lockoutPrefix, sharePrefix } from '../../src/security/client-prefix.js';

describe('client prefixes', () => {
  it('IPv6: the /64, however the address is written', () => {
    for (const address of [
      '2001:db8:bad:64::1',
      '2001:0db8:0bad:0064:ffff:1:2:3',
      '2001:DB8:BAD:64:a::b',
      '2001:db8:bad:64:1:2:3.4.5.6',
    ]) {
      assert.equal(lockoutPrefix(address), '2001:db8:bad:64::/64', address);
      assert.equal(sharePrefix(address), '2001:db8:bad:64::/64', address);
    }
    assert.equal(lockoutPrefix('2001:db8:bad:65::1'), '2001:db8:bad:65::/64');
    assert.equal(lockoutPrefix('::1'), '0:0:0:0::/64');
    assert.equal(lockoutPrefix('fe80::1%eth0'), 'fe80:0:0:0::/64');
  });

  it('IPv4: the address for the lockout, its /24 for the queue; IPv4-mapped IPv6 is IPv4', () => {
    assert.equal(lockoutPrefix('203.0.113.7'), '203.0.113.7');
    assert.equal(sharePrefix('203.0.113.7'), '203.0.113.0/24');
    assert.equal(lockoutPrefix('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(sharePrefix('::FFFF:cb00:7107'), '203.0.113.0/24');
  });

  it('anything else is its own key', () => {
    assert.equal(lockoutPrefix('unknown'), 'unknown');
    assert.equal(sharePrefix('_hidden'), '_hidden');
  });
});
