/**
 * HTTPS and WSS on the server's one port, from `server.tls.cert` and `.key`.
 * SIGHUP re-reads both files (for certificate renewals) without dropping
 * connections; an optional plain-HTTP port redirects everything to HTTPS.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import type { SecurityConfig } from './config.js';

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

export function readTls(tls: NonNullable<SecurityConfig['tls']>): TlsFiles {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(
        `server.tls.${what}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        { cause: err },
      );
    }
  };
  return { cert: read('cert', tls.cert), key: read('key', tls.key) };
}

/** Re-reads the certificate on SIGHUP; returns the function that stops listening for it. */
export function reloadTlsOnSighup(
  server: { setSecureContext(files: TlsFiles): void },
  tls: NonNullable<SecurityConfig['tls']>,
  log: Logger,
): () => void {
  const reload = (): void => {
    try {
      server.setSecureContext(readTls(tls));
      log.info({ cert: tls.cert }, 'TLS certificate reloaded');
    } catch (err) {
      // Keep serving with the certificate we have.
      log.error({ err }, 'TLS certificate reload failed; keeping the current one');
    }
  };
  process.on('SIGHUP', reload);
  return () => process.off('SIGHUP', reload);
}

/** A plain-HTTP listener that sends every request to the HTTPS port. */
export async function startHttpRedirect(host: string, port: number, httpsPort: number): Promise<HttpServer> {
  // Timeouts are enforced at each check of the connections: every second, not every 30 s.
  const server = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    const hostname = (req.headers.host ?? 'localhost').replace(/:\d+$/, '');
    const target = `https://${hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname}${httpsPort === 443 ? '' : `:${httpsPort}`}${req.url ?? '/'}`;
    res.writeHead(308, { location: target, 'content-length': '0' });
    res.end();
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
