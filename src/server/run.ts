/** Starts a server and ends it cleanly on SIGINT/SIGTERM: every ffmpeg child is stopped before exit. */
import type { ServerConfig } from '../config/schema.js';
import { createLogger } from '../log.js';
import { locateFfmpeg } from '../sources/ffmpeg/locate.js';
import { describeSource } from '../sources/spec.js';
import { ConfigError } from '../config/load.js';
import { checkExposure } from '../security/exposure.js';
import { reloadTlsOnSighup, startHttpRedirect } from '../security/tls.js';
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { buildServer, type Server } from './app.js';

export async function runServer(config: ServerConfig): Promise<Server> {
  const exposure = checkExposure(config.host, config.security);
  if (!exposure.ok) throw new ConfigError(exposure.message);
  const log = createLogger(config.logLevel);
  if (exposure.warning) log.warn(exposure.warning);
  try {
    const ffmpeg = locateFfmpeg();
    log.info({ ffmpeg: ffmpeg.path, from: ffmpeg.from }, 'using ffmpeg');
  } catch (err) {
    log.error((err as Error).message);
  }
  const server = await buildServer(config, log);
  for (const c of config.cameras) log.info({ camera: c.id, source: describeSource(c.spec), alwaysOn: c.alwaysOn }, 'camera configured');

  let redirect: HttpServer | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 8000);
    force.unref();
    redirect?.close();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));

  await server.app.listen({ host: config.host, port: config.port });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const tls = config.security.tls;
  const url = `${tls ? 'https' : 'http'}://${shownHost}:${port}/`;
  if (tls) {
    reloadTlsOnSighup(server.app.server as HttpsServer, tls, log);
    if (tls.redirectHttpPort) {
      redirect = await startHttpRedirect(config.host, tls.redirectHttpPort, port);
      log.info({ port: tls.redirectHttpPort }, 'redirecting plain HTTP to HTTPS');
    }
  }
  log.info({ url, port }, 'camrelay is listening');
  // One plain line for the person at the terminal, whatever the log format.
  const first = config.cameras[0]; // none on a hub that only serves published cameras
  process.stderr.write(`camrelay: open ${url}${first ? `  (snapshot: ${url}api/cameras/${first.id}/snapshot.jpg)` : ''}\n`);
  return server;
}
