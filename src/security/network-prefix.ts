/**
 * The network a client is in, for shares of the password-check queue and
 * for the failed-login log: an IPv6 client's /64 (as the client itself is,
 * client-prefix.ts), an IPv4 client's /24. Addresses of one IPv4 network
 * are cheap to hold together (a rented server, a subnet), so a sender with
 * many of them gets one share, not one per address; a neighbour in its /24
 * only waits longer or gets a 503, and is never locked out for it: the
 * lockout counts the client (the IPv4 address) itself.
 */
import { isIPv4 } from 'node:net';
import { clientPrefix } from '../client-prefix.js';

/** `203.0.113.7` → `203.0.113.0/24`; `2001:db8:1:2::9` → `2001:db8:1:2::/64`; anything else as it is. */
export function networkPrefix(ip: string): string {
  const client = clientPrefix(ip);
  return isIPv4(client) ? `${client.slice(0, client.lastIndexOf('.'))}.0/24` : client;
}
