/**
 * Networks as the password-check queue and the failed-login log count them: an IPv6 /64, an IPv4
 * /24 (the lockout counts the client itself: an IPv4 address, an IPv6 /64).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { networkPrefix } from '../../src/security/network-prefix.js';

describe('network prefixes', () => {
  it('IPv6: the /64, however the address is written', () => {
    for (const address of ['2001:db8:bad:64::1', '2001:0db8:0bad:0064:ffff:1:2:3', '2001:DB8:BAD:64:a::b']) {
      assert.equal(networkPrefix(address), '2001:db8:bad:64::/64', address);
    }
    assert.equal(networkPrefix('2001:db8:bad:65::1'), '2001:db8:bad:65::/64');
  });

  it('IPv4 and IPv4-mapped IPv6: the /24', () => {
    assert.equal(networkPrefix('203.0.113.7'), '203.0.113.0/24');
    assert.equal(networkPrefix('::ffff:203.0.113.7'), '203.0.113.0/24');
  });

  it('anything else is its own key', () => {
    assert.equal(networkPrefix('unknown'), 'unknown');
    assert.equal(networkPrefix('_hidden'), '_hidden');
  });
});
