/**
 * Who a client is, for fairness and limits: an IPv4 address as it is, an IPv6 address by its /64
 * (one host, or one home network, is usually given a whole /64, so keying by the full address would
 * let it take as many shares as it likes). IPv4-mapped IPv6 (`::ffff:192.0.2.1`) is the IPv4
 * address. Imports nothing: security and playback both use it.
 */
import { isIPv6 } from 'node:net';

/** `192.0.2.7` → `192.0.2.7`; `2001:db8:1:2:a:b:c:d` → `2001:db8:1:2::/64`. */
export function clientPrefix(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const prefix = groups.slice(0, 4).map((g) => (parseInt(g || '0', 16) || 0).toString(16));
  return `${prefix.join(':')}::/64`;
}
