/** `camrelay publish`: an edge without a local HTTP server (src/relay publishes the cameras). */
import { ConfigError, loadConfig } from '../config/load.js';
import type { ServerConfig } from '../config/schema.js';
import { createLogger } from '../log.js';
import { EdgePublisher, nominalFps } from '../relay/index.js';
import { createRegistry } from '../server/cameras.js';
import { exitOnSignals, logFfmpeg } from '../server/process-lifecycle.js';
import { describeSource } from '../sources/spec.js';

/** Captures the configured cameras (built the way serve builds them) and publishes them until SIGINT/SIGTERM. */
async function runPublish(config: ServerConfig): Promise<EdgePublisher> {
  const target = config.publish;
  if (!target) throw new Error('publish needs a hub: --hub URL (or publish.hub in the config)');
  const log = createLogger(config.logLevel);
  logFfmpeg(log);
  const registry = createRegistry(config.cameras, log);
  for (const c of config.cameras)
    log.info({ camera: c.id, source: describeSource(c.spec), alwaysOn: c.alwaysOn }, 'camera configured');
  const edge = new EdgePublisher(registry, target, log, { fps: nominalFps(config.cameras) });

  exitOnSignals(log, () => edge.close().then(() => registry.close()));

  edge.start();
  process.stderr.write(
    `camrelay: publishing ${config.cameras.map((c) => c.id).join(', ')} to ${(target.hubs ?? [target.hub]).join(', ')} as "${target.name}"\n`,
  );
  return edge;
}

export interface PublishCommandOptions {
  hub?: string;
  name?: string;
  token?: string;
  ca?: string;
  publishCodec?: string;
  /** The earlier spelling of --publish-codec. */
  codec?: string;
  config?: string;
  camera?: string[];
  logLevel?: string;
}

/** `camrelay publish`: exit 2 on a bad config or missing hub/name/token, like serve. */
export async function publishCommand(options: PublishCommandOptions): Promise<void> {
  try {
    const config = await loadConfig({
      config: options.config,
      cameras: options.camera,
      logLevel: options.logLevel,
      publishTo: options.hub,
      name: options.name,
      token: options.token,
      envToken: process.env.CAMRELAY_PUBLISH_TOKEN,
      ca: options.ca,
      publishCodec: options.publishCodec ?? options.codec,
    });
    if (!config.publish)
      throw new ConfigError(
        'publish needs --hub URL, --name EDGE and --token TOKEN (or a publish: section in --config)',
      );
    await runPublish(config);
  } catch (err) {
    process.stderr.write(`camrelay: ${(err as Error).message}\n`);
    process.exit(err instanceof ConfigError ? err.exitCode : 1);
  }
}
