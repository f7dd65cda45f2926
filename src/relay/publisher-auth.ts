/** Which edge a publish token belongs to, checked at the upgrade (GET /api/publish). */
import { verifyToken } from '../security/secrets.js';
import type { PublisherConfig } from './config.js';

export type AuthResult = { ok: true; publisher: PublisherConfig } | { ok: false; status: 401 | 403; message: string };

/**
 * Checks a bearer token against the publishers' hashes. Every hash is compared (constant time each, no
 * early exit), so the time taken says nothing about which edge, if any, a guess came close to. `edge`:
 * the name the edge asked to publish as (`?edge=`), which must be the token's.
 */
export function authenticate(
  publishers: Iterable<PublisherConfig>,
  authorization: string | undefined,
  edge: string | undefined,
): AuthResult {
  const m = /^Bearer +([\x21-\x7e]{1,512})$/.exec(authorization ?? '');
  if (!m) return { ok: false, status: 401, message: 'a publish token is required: Authorization: Bearer <token>' };
  let match: PublisherConfig | undefined;
  for (const config of publishers) {
    if (verifyToken(m[1]!, config.tokenHash) && !match) match = config;
  }
  if (!match) return { ok: false, status: 401, message: 'invalid publish token' };
  if (edge !== undefined && edge !== match.name)
    return { ok: false, status: 403, message: `this token may not publish as edge "${edge}"` };
  return { ok: true, publisher: match };
}
