/** clientPrefix: IPv4 as it is, IPv6 by its /64, IPv4-mapped IPv6 as IPv4. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientPrefix } from '../src/client-prefix.js';

describe('clientPrefix', () => {
  it('keys IPv4 by address and IPv6 by /64, however the address is written', () => {
    assert.equal(clientPrefix('192.0.2.7'), '192.0.2.7');
    assert.equal(clientPrefix('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(clientPrefix('2001:db8:1:2:a:b:c:d'), '2001:db8:1:2::/64');
    assert.equal(clientPrefix('2001:0db8:0001:0002::1'), '2001:db8:1:2::/64');
    assert.equal(clientPrefix('2001:db8:1:2::ffff'), clientPrefix('2001:db8:1:2:ffff:ffff:ffff:0'));
    assert.notEqual(clientPrefix('2001:db8:1:2::1'), clientPrefix('2001:db8:1:3::1'));
    assert.equal(clientPrefix('::1'), '0:0:0:0::/64');
    assert.equal(clientPrefix('2001:db8::'), '2001:db8:0:0::/64');
    assert.equal(clientPrefix('fe80::1'), 'fe80:0:0:0::/64');
  });
});
