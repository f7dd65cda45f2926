/**
 * Reverse proxies and the origin a request was made to. Only from a socket of
 * `server.trusted_proxies` are the forwarded headers believed: the client
 * address (X-Forwarded-For, or RFC 7239 Forwarded), the scheme
 * (X-Forwarded-Proto) and the host (X-Forwarded-Host, else Host). Fastify's
 * `trustProxy` is given the same list, so request.ip, .protocol and .host
 * (the WebSocket upgrades' too) all come from here. Also: the check that a
 * state-changing request comes from this server's own pages (CSRF).
 */
import { BlockList, isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { SESSION_COOKIE } from './sessions.js';

/** Is a socket's peer one of the trusted proxies? */
export function trustedProxy(list: readonly string[]): (address: string | undefined) => boolean {
  if (!list.length) return () => false;
  const trusted = new BlockList();
  for (const entry of list) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) trusted.addAddress(address, family);
    else trusted.addSubnet(address, Number(bits), family);
  }
  return (address) => {
    if (!address) return false;
    // A dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d.
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (v4) return trusted.check(v4, 'ipv4');
    return trusted.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  };
}

/** Turns an RFC 7239 `Forwarded` header into the X-Forwarded-* headers (where those are absent). */
export function normaliseForwarded(headers: IncomingHttpHeaders): void {
  const forwarded = headers.forwarded;
  if (!forwarded || headers['x-forwarded-for']) return;
  const elements = forwarded.split(',').map((element) => {
    const pairs = new Map<string, string>();
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      pairs.set(
        pair.slice(0, eq).trim().toLowerCase(),
        pair
          .slice(eq + 1)
          .trim()
          .replace(/^"(.*)"$/, '$1'),
      );
    }
    return pairs;
  });
  const hops = elements.map((pairs) => nodeAddress(pairs.get('for') ?? 'unknown'));
  headers['x-forwarded-for'] = hops.join(', ');
  const last = elements[elements.length - 1];
  const proto = last?.get('proto');
  const host = last?.get('host');
  if (proto && !headers['x-forwarded-proto']) headers['x-forwarded-proto'] = proto;
  if (host && !headers['x-forwarded-host']) headers['x-forwarded-host'] = host;
}

/** `for=` values: `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]:4711`, `unknown`, `_hidden`. */
function nodeAddress(value: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1]!;
  const v4 = /^(\d+\.\d+\.\d+\.\d+)(?::\d+)?$/.exec(value);
  return v4 ? v4[1]! : value;
}

/** The origin the client sent this request to, e.g. `https://cam.example.net` ('' if the Host is not a host). */
export function ownOrigin(request: FastifyRequest): string {
  const forwarded = String(request.protocol).toLowerCase();
  const scheme =
    forwarded === 'http' || forwarded === 'https' ? forwarded : 'encrypted' in request.raw.socket ? 'https' : 'http';
  return originOf(`${scheme}://${request.host}`) ?? '';
}

function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * Why a state-changing request must be refused as cross-site, or undefined. A browser sends
 * `Origin` with every POST (`null` when it will not tell): it must be this server (or, for the
 * API, an allowed origin). Without Origin, a Referer must be. With neither, the client is not a
 * browser: let it through unless it presents the session cookie (a browser's credential).
 */
export function refuseCrossSite(
  request: FastifyRequest,
  kind: 'login' | 'page' | 'api',
  allowedOrigins: readonly string[],
): string | undefined {
  const self = ownOrigin(request);
  const ok = (origin: string | undefined): boolean =>
    !!origin && (origin === self || (kind === 'api' && allowedOrigins.includes(origin)));
  const origin = request.headers.origin;
  if (origin !== undefined) {
    return ok(originOf(origin))
      ? undefined
      : `requests from other sites may not do this (Origin: ${origin.slice(0, 200)})`;
  }
  const referer = request.headers.referer;
  if (referer !== undefined)
    return ok(originOf(referer)) ? undefined : 'requests from other sites may not do this (Referer)';
  if (kind === 'login') return undefined;
  const query = request.query as { token?: unknown } | undefined;
  const byCookie = !request.headers.authorization && query?.token === undefined && !!request.cookies?.[SESSION_COOKIE];
  return byCookie ? 'a request with the session cookie must say where it comes from (Origin or Referer)' : undefined;
}
