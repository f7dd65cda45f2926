/**
 * Why the server could not take its address, in words a user can act on: which address and port,
 * and what to change. The process then exits 1, like any start-up failure that is not the config
 * (exit 2): under systemd it is retried, which is right while an old process still holds the port.
 */

const HINTS: Record<string, string> = {
  EADDRINUSE:
    'the port is already in use by another program (another camrelay?): stop it, or choose another port ' +
    '(--port or server.port)',
  EACCES:
    'permission denied: ports below 1024 need privileges; choose a port from 1024 up (--port or server.port), ' +
    'or see "Running as a service" in the README',
  EADDRNOTAVAIL:
    'this machine has no such address: choose one of its own (--host or server.host), or 0.0.0.0 for every network',
};

export function listenError(err: unknown, host: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new Error(`cannot listen on ${where}: ${HINTS[code] ?? (err as Error).message}`);
}
