/**
 * Secrets at rest and in comparison. Tokens are long random strings, so a
 * SHA-256 digest is enough to store them; passwords are low-entropy and get
 * scrypt (see password.ts). Every comparison is constant-time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const TOKEN_PREFIX = 'sha256:';

/** A new random token to hand out (URL-safe, 256 bits). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The form a token is stored in, in the config: `sha256:<hex>`. */
export function hashToken(token: string): string {
  return TOKEN_PREFIX + createHash('sha256').update(token, 'utf8').digest('hex');
}

export function isTokenHash(text: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(text);
}

/** Does `token` match the stored `hash`? Constant-time in the token's content. */
export function verifyToken(token: string, hash: string): boolean {
  if (!isTokenHash(hash)) return false;
  return safeEqual(hashToken(token), hash);
}

/** Constant-time string equality (the lengths are compared on digests, so they leak nothing either). */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}
