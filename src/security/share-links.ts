/**
 * Share links: signed, expiring tokens limited to some cameras, for sending
 * to someone's phone. HS256 JWTs through jose; the key is the config's
 * `auth.share_secret` or CAMRELAY_SHARE_SECRET, never the repository. Without
 * either, a random key lives as long as the process (links die at restart).
 */
import { createHash, randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Principal } from './principal.js';

const ISSUER = 'camrelay';
const AUDIENCE = 'camrelay-share';

export class ShareLinks {
  private readonly key: Uint8Array;
  readonly ephemeral: boolean;

  /** `maxLifetimeSeconds`: links that would live longer (from now) are refused, whoever signed them. */
  constructor(
    secret: string | undefined,
    private readonly maxLifetimeSeconds = 30 * 86_400,
  ) {
    this.ephemeral = !secret;
    this.key = secret ? new TextEncoder().encode(secret) : randomBytes(32);
  }

  /**
   * `recordings`: the link may watch these cameras' recordings too; `clip`: the link is for one
   * camera's recordings in [start, end) (ms) only, and nothing live.
   */
  async issue(
    cameras: string[],
    expiresInSeconds: number,
    label: string,
    extra: { recordings?: boolean; clip?: { start: number; end: number } } = {},
  ): Promise<{ token: string; expiresAt: number }> {
    const expiresAt = Math.floor(Date.now() / 1000) + expiresInSeconds;
    const claims: Record<string, unknown> = { cams: cameras, label };
    if (extra.recordings) claims.rec = true;
    if (extra.clip) claims.clip = [extra.clip.start, extra.clip.end];
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(this.key);
    return { token, expiresAt: expiresAt * 1000 };
  }

  /** The principal a share token stands for, or undefined if it is forged, expired or malformed. */
  async verify(token: string): Promise<Principal | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        // A link without an expiry would never end: every link must have one, within the maximum lifetime.
        requiredClaims: ['exp'],
      });
      const cams = payload.cams;
      if (!Array.isArray(cams) || !cams.every((c): c is string => typeof c === 'string')) return undefined;
      const exp = payload.exp;
      // A minute's grace for clock differences between the issuer and this server.
      if (typeof exp !== 'number' || exp > Date.now() / 1000 + this.maxLifetimeSeconds + 60) return undefined;
      const principal: Principal = {
        kind: 'share',
        name: typeof payload.label === 'string' ? payload.label : 'share link',
        role: 'viewer',
        cameras: new Set(cams),
        credential: `share ${createHash('sha256').update(token).digest('base64url').slice(0, 22)}`,
        expiresAt: exp * 1000,
      };
      if (payload.rec === true) principal.recordings = true;
      if (payload.clip !== undefined) {
        const clip = payload.clip;
        const valid =
          Array.isArray(clip) &&
          clip.length === 2 &&
          clip.every((t) => Number.isSafeInteger(t)) &&
          (clip[0] as number) < (clip[1] as number) &&
          cams.length === 1;
        if (!valid) return undefined;
        principal.clip = { camera: cams[0]!, start: clip[0] as number, end: clip[1] as number };
        principal.recordings = true;
      }
      return principal;
    } catch {
      return undefined;
    }
  }
}

/** JWTs have three dot-separated parts; API tokens have none. */
export function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);
}
