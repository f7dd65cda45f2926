/**
 * What a credential may delegate to a share link: nothing it does not have itself. A link is
 * always a viewer (never a role above its issuer's, who must be an admin to issue one), of
 * cameras its issuer may see, and never outlives an issuer that expires. A login session stands
 * for its user's password, which does not expire: its links are bounded by auth.share_max_lifetime.
 */
import { mayWatchRecordings, maySeeCamera, type Principal } from './principal.js';

/** Why `issuer` may not issue a link to `cameras` until `expiresAt` (ms), or undefined when it may. */
export function delegationRefusal(
  issuer: Principal,
  cameras: readonly string[],
  expiresAt: number,
): string | undefined {
  // `edge.*` covers cameras an edge may publish later: only a credential with that same wildcard has them all.
  const has = (c: string): boolean =>
    c.endsWith('.*') ? !issuer.cameras || issuer.cameras.has(c) : maySeeCamera(issuer, c);
  const beyond = cameras.filter((c) => !has(c));
  if (beyond.length) return `this credential may not share camera ${beyond.map((c) => `"${c}"`).join(', ')}`;
  if (issuer.expiresAt !== undefined && expiresAt > issuer.expiresAt) {
    return 'a share link may not outlive the credential that issues it';
  }
  return undefined;
}

/** Why `issuer` may not give a link the recordings of `cameras`, or undefined when it may. */
export function recordingsRefusal(issuer: Principal, cameras: readonly string[]): string | undefined {
  const beyond = cameras.filter((c) => !mayWatchRecordings(issuer, c.endsWith('.*') ? c.slice(0, -2) + '.x' : c));
  if (beyond.length) {
    return `this credential may not share recordings of camera ${beyond.map((c) => `"${c}"`).join(', ')}`;
  }
  return undefined;
}
