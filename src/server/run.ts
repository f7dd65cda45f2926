/** Starts a server and ends it cleanly on SIGINT/SIGTERM: every ffmpeg child is stopped before exit. */
import type { ServerConfig } from '../config/schema.js';
import { createLogger } from '../log.js';
import { describeSource } from '../sources/spec.js';
import { ConfigError } from '../config/load.js';
import { checkExposure } from '../security/exposure.js';
import { reloadTlsOnSighup, startHttpRedirect } from '../security/tls.js';
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { buildServer, type Server } from './app.js';
import { exitOnSignals, logFfmpeg } from './process-lifecycle.js';
import { VERSION } from '../version.js';
import { listenError } from './listen-error.js';

export async function runServer(config: ServerConfig): Promise<Server> {
  const exposure = checkExposure(config.host, config.security);
  if (!exposure.ok) throw new ConfigError(exposure.message);
  const rtspExposure = config.rtsp ? checkExposure(config.rtsp.host, config.security) : exposure;
  if (!rtspExposure.ok) throw new ConfigError(`rtsp.host: ${rtspExposure.message}`);
  const log = createLogger(config.logLevel);
  if (exposure.warning) log.warn(exposure.warning);
  logFfmpeg(log);
  const server = await buildServer(config, log);
  for (const c of config.cameras)
    log.info({ camera: c.id, source: describeSource(c.spec), alwaysOn: c.alwaysOn }, 'camera configured');

  let redirect: HttpServer | undefined;
  exitOnSignals(log, async () => {
    redirect?.close();
    await server.close();
  });

  try {
    await server.app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await server.close().catch(() => undefined);
    throw listenError(err, config.host, config.port);
  }
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost =
    config.host === '0.0.0.0' || config.host === '::'
      ? 'localhost'
      : config.host.includes(':')
        ? `[${config.host}]`
        : config.host;
  const tls = config.security.tls;
  const url = `${tls ? 'https' : 'http'}://${shownHost}:${port}/`;
  if (tls) {
    reloadTlsOnSighup(server.app.server as HttpsServer, tls, log);
    const rtsp = server.rtsp;
    if (rtsp) reloadTlsOnSighup(rtsp, tls, log);
    if (tls.redirectHttpPort) {
      try {
        redirect = await startHttpRedirect(config.host, tls.redirectHttpPort, port);
      } catch (err) {
        await server.close().catch(() => undefined);
        throw listenError(err, config.host, tls.redirectHttpPort, 'server.tls.redirect_http_port');
      }
      log.info({ port: tls.redirectHttpPort }, 'redirecting plain HTTP to HTTPS');
    }
  }
  log.info({ url, port, version: VERSION }, 'camrelay is listening');
  // One plain line for the person at the terminal, whatever the log format.
  const first = config.cameras[0]; // none on a hub that only serves published cameras
  process.stderr.write(
    `camrelay: open ${url}${first ? `  (snapshot: ${url}api/cameras/${first.id}/snapshot.jpg)` : ''}\n`,
  );
  return server;
}
