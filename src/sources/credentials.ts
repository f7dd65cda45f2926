/**
 * Masks camera credentials in text that leaves the server: offline reasons
 * (the API, the viewers' status messages, share-link guests included), and
 * the log. ffmpeg quotes its input URL in many of its messages, so every
 * piece of text that comes from a source goes through maskCredentials().
 *
 * Masked: the userinfo of any URL in the text (`rtsp://***@host/`), the
 * value of credential-looking query parameters (`?user=***&password=***`),
 * and the exact secrets a source was configured with, raw, percent-decoded
 * and percent-encoded.
 */
import type { SourceSpec } from './spec.js';

export const MASK = '***';

/** `scheme://userinfo@`: greedy up to the last `@` of the authority, so a raw `@` in a password is covered. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@'"<>]*(?:@[^\s/?#@'"<>]*)*@/gi;
const SECRET_NAME =
  'user(?:name)?|usr|login|pass(?:word|wd)?|pwd|auth|(?:access|auth)_?token|token|secret|api_?key|key|sig(?:nature)?';
/** A value ends at `&`, `#`, a quote, a space, or the `: ` ffmpeg writes after a URL. */
const QUERY_SECRET = new RegExp(`([?&;](?:${SECRET_NAME})=)(?:[^&\\s#'"<>:]|:(?!\\s|$))*`, 'gi');
/** Query parameters whose values are secrets anywhere in a message (user names are masked in URLs only). */
const QUERY_SECRET_NAMES =
  /^(?:pass(?:word|wd)?|pwd|auth|(?:access|auth)_?token|token|secret|api_?key|key|sig(?:nature)?)$/i;
/** Shorter secrets are not replaced wherever they occur (they would garble the text); URL masking still covers them. */
const MIN_SECRET_LENGTH = 3;

function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The secrets of a source: the password of its URL and its password-like query values. */
export function sourceSecrets(spec: SourceSpec): string[] {
  if (spec.kind !== 'rtsp' && spec.kind !== 'http') return [];
  const out: string[] = [];
  try {
    const url = new URL(spec.url);
    if (url.password) out.push(url.password);
    for (const [name, value] of url.searchParams) if (QUERY_SECRET_NAMES.test(name) && value) out.push(value);
  } catch {
    // not a URL Node parses: the patterns of maskCredentials() still apply
  }
  return out;
}

/** Every form a secret may take in a message: as given, percent-decoded, percent-encoded. */
function variants(secrets: readonly string[]): string[] {
  const all = new Set<string>();
  for (const s of secrets) {
    for (const v of [s, decoded(s), encodeURIComponent(decoded(s))]) if (v.length >= MIN_SECRET_LENGTH) all.add(v);
  }
  // Longest first, so that a secret containing another is replaced whole.
  return [...all].sort((a, b) => b.length - a.length);
}

/** `text` with credentials replaced by `***`. */
export function maskCredentials(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of variants(secrets)) out = out.split(secret).join(MASK);
  return out.replace(USERINFO, `$1${MASK}@`).replace(QUERY_SECRET, `$1${MASK}`);
}
