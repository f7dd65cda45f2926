/**
 * Why the server could not take an address, in words a user can act on: which address and port,
 * and what to change. The process then exits 1, like any start-up failure that is not the config
 * (exit 2): under systemd it is retried, which is right while an old process still holds the port.
 */

const HINTS: Record<string, (setting: string) => string> = {
  EADDRINUSE: (setting) =>
    `the port is already in use by another program (another camrelay?): stop it, or choose another port (${setting})`,
  EACCES: (setting) =>
    `permission denied: ports below 1024 need privileges; choose a port from 1024 up (${setting}), ` +
    'or see "Running as a service" in the README',
  EADDRNOTAVAIL: () =>
    'this machine has no such address: choose one of its own (--host or server.host), or 0.0.0.0 for every network',
};

/** `setting`: where the port comes from (the server's own by default; the TLS redirect has its own key). */
export function listenError(err: unknown, host: string, port: number, setting = '--port or server.port'): Error {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const hint = HINTS[code];
  return new Error(`cannot listen on ${where}: ${hint ? hint(setting) : (err as Error).message}`);
}
