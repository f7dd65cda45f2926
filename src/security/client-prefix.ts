/**
 * Who a client is, for the limits that count clients: one IPv6 host owns a
 * whole /64 (a phone or a server picks any address in it, and a new one per
 * connection costs nothing), so IPv6 clients are counted by their /64. IPv4
 * addresses are scarce: the login lockout counts each one (a /24 may be a
 * whole office or a carrier's NAT pool), while shares of a busy resource, the
 * password-check queue, go by /24, so that a sender holding many addresses
 * of one network gets one share, and a neighbour in that /24 only waits
 * longer, never gets locked out.
 */
import { isIP } from 'node:net';

/** The lockout key: an IPv4 address itself, an IPv6 address's /64. */
export function lockoutPrefix(address: string): string {
  return prefixOf(address, 32);
}

/** The key of a share of a queue: an IPv4 address's /24, an IPv6 address's /64. */
export function sharePrefix(address: string): string {
  return prefixOf(address, 24);
}

/** Anything that is not an IP address (Forwarded's `unknown`, `_hidden`) is its own key. */
function prefixOf(address: string, ipv4Bits: 24 | 32): string {
  const bare = address.replace(/%.*$/, '');
  if (isIP(bare) === 4) return ipv4(bare, ipv4Bits);
  if (isIP(bare) !== 6) return address;
  const groups = expand(bare);
  // IPv4-mapped (::ffff:a.b.c.d, a dual-stack socket's IPv4 peers): an IPv4 client.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const v4 = [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join('.');
    return ipv4(v4, ipv4Bits);
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

function ipv4(address: string, bits: 24 | 32): string {
  if (bits === 32) return address;
  return `${address.split('.').slice(0, 3).join('.')}.0/24`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::`, and a dotted IPv4 tail, expanded). */
function expand(address: string): number[] {
  let text = address;
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const parse = (part: string): number[] => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const front = parse(head);
  const back = rest === undefined ? [] : parse(rest);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}
