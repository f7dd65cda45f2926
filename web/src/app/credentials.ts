/**
 * How the page proves who it is. A share link carries `?token=` in the page's
 * own URL: it goes on every API call and to every player. A logged-in user has
 * the session cookie, which the browser sends by itself. Without either, a
 * server that requires credentials answers 401 and the page goes to /login.
 */

export function pageToken(): string | undefined {
  return new URLSearchParams(location.search).get('token') ?? undefined;
}

/** `url` with the page's token, if it has one. */
export function withToken(url: string): string {
  const token = pageToken();
  if (!token) return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

export class AuthRequired extends Error {}

/** The server answered, but will not show this page's credential anything (an expired share link). */
export class Refused extends Error {}

/** Off to the login page; it brings the user back here afterwards. */
export function goToLogin(): void {
  location.assign(`login?next=${encodeURIComponent(location.pathname + location.hash)}`);
}

/** The player's `token` attribute, when the page has a token. */
export function tokenAttribute(): { token?: string } {
  const token = pageToken();
  return token ? { token } : {};
}
