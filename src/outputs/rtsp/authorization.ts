/**
 * RTSP's Authorization header (RFC 2617 as RTSP clients speak it): Basic, and Digest without qop or with
 * qop=auth. Digest nonces are stateless (a time and its HMAC under a key made at start) and last
 * NONCE_LIFETIME_MS; an older one is refused as stale, and the client is challenged again.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';

export const REALM = 'camrelay';
const NONCE_LIFETIME_MS = 10 * 60_000;
const MAX_AUTHORIZATION = 4096;

export type Credentials =
  | { scheme: 'basic'; name: string; password: string }
  | {
      scheme: 'digest';
      name: string;
      /** Checks the client's response given the user's HA1 (MD5 of name:realm:password, hex). */
      verify(ha1: string): boolean;
    }
  | { scheme: 'invalid'; reason: string };

export class DigestNonces {
  private readonly key = randomBytes(32);

  issue(now = Date.now()): string {
    const time = now.toString(16);
    return `${time}.${this.mac(time)}`;
  }

  valid(nonce: string, now = Date.now()): boolean {
    const [time = '', mac = ''] = nonce.split('.', 2);
    if (!/^[0-9a-f]{1,12}$/.test(time) || mac !== this.mac(time)) return false;
    const age = now - parseInt(time, 16);
    return age >= 0 && age <= NONCE_LIFETIME_MS;
  }

  private mac(time: string): string {
    return createHmac('sha256', this.key).update(time).digest('hex').slice(0, 32);
  }
}

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** The header's credentials; undefined when there is none. */
export function parseAuthorization(
  header: string | undefined,
  method: string,
  nonces: DigestNonces,
): Credentials | undefined {
  if (header === undefined) return undefined;
  if (header.length > MAX_AUTHORIZATION) return { scheme: 'invalid', reason: 'Authorization header too long' };
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const rest = space < 0 ? '' : header.slice(space + 1).trim();
  if (scheme === 'basic') {
    const decoded = Buffer.from(rest, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) return { scheme: 'invalid', reason: 'malformed Basic credentials' };
    return { scheme: 'basic', name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (scheme !== 'digest')
    return { scheme: 'invalid', reason: 'unsupported Authorization scheme (use Basic or Digest)' };
  const fields = parseDigestFields(rest);
  const { username, realm, nonce, uri, response } = fields;
  if (!username || !nonce || !uri || !response || realm !== REALM)
    return { scheme: 'invalid', reason: 'malformed Digest credentials' };
  if (!nonces.valid(nonce)) return { scheme: 'invalid', reason: 'stale or unknown Digest nonce' };
  const qop = fields.qop;
  if (qop !== undefined && (qop !== 'auth' || !fields.nc || !fields.cnonce))
    return { scheme: 'invalid', reason: 'unsupported Digest qop' };
  return {
    scheme: 'digest',
    name: username,
    verify(ha1) {
      const ha2 = md5(`${method}:${uri}`);
      const expected =
        qop === undefined
          ? md5(`${ha1}:${nonce}:${ha2}`)
          : md5(`${ha1}:${nonce}:${fields.nc}:${fields.cnonce}:auth:${ha2}`);
      return expected === response.toLowerCase();
    },
  };
}

/** `key="value", key=value, …` (values with escaped quotes). */
function parseDigestFields(text: string): Record<string, string | undefined> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const pattern = /\s*([a-zA-Z]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  for (const match of text.matchAll(pattern)) {
    out[match[1]!.toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!;
  }
  return out;
}

/** The challenges of a 401: Digest first when some user can use it, Basic always. */
export function challenges(digest: boolean, nonces: DigestNonces, stale = false): [string, string][] {
  const out: [string, string][] = [];
  if (digest)
    out.push(['WWW-Authenticate', `Digest realm="${REALM}", nonce="${nonces.issue()}"${stale ? ', stale=TRUE' : ''}`]);
  out.push(['WWW-Authenticate', `Basic realm="${REALM}"`]);
  return out;
}
