/** The /login page: a plain form, no script (pages forbid inline scripts). */

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function loginPage(next: string, error?: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>camrelay · log in</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; min-height: 100vh; display: grid; place-items: center; }
  form { width: min(22rem, 90vw); display: grid; gap: .75rem; padding: 1.5rem; border-radius: .75rem; border: 1px solid #8884; }
  h1 { margin: 0 0 .5rem; font-size: 1.4rem; }
  input, button { font: inherit; padding: .6rem .7rem; border-radius: .4rem; border: 1px solid #8888; }
  button { cursor: pointer; background: #2563eb; color: #fff; border: 0; }
  .error { color: #dc2626; margin: 0; }
</style>
</head>
<body>
<form method="post" action="/login">
  <h1>camrelay</h1>
  ${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
  <label>User <input name="username" autocomplete="username" required autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <input type="hidden" name="next" value="${escape(next)}">
  <button type="submit">Log in</button>
</form>
</body>
</html>
`;
}

/**
 * Only a path on this server, normalised: never an open redirect to another site. Browsers drop
 * tabs and newlines from URLs and read `\\` as `/`, so `/\t/evil.example` would be `//evil.example`:
 * anything with a control character or a backslash, and any path that resolves to another host or
 * to a `//` (protocol-relative) path, becomes `/`.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length >= 2048 || !next.startsWith('/')) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return '/';
  let url: URL;
  try {
    url = new URL(next, 'http://camrelay.invalid');
  } catch {
    return '/';
  }
  if (url.origin !== 'http://camrelay.invalid') return '/';
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith('/') && !path.startsWith('//') ? path : '/';
}

/** GET /logout: logging out is a POST (a link from another site must not log anyone out), so this asks. */
export function logoutPage(): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>camrelay · log out</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; min-height: 100vh; display: grid; place-items: center; }
  form { width: min(22rem, 90vw); display: grid; gap: .75rem; padding: 1.5rem; border-radius: .75rem;
    border: 1px solid #8884; }
  h1 { margin: 0 0 .5rem; font-size: 1.4rem; }
  button { font: inherit; padding: .6rem .7rem; border-radius: .4rem; cursor: pointer; background: #2563eb;
    color: #fff; border: 0; }
</style>
</head>
<body>
<form method="post" action="/logout">
  <h1>camrelay</h1>
  <button type="submit">Log out</button>
</form>
</body>
</html>
`;
}
