/** `camrelay publish` (an edge without a local HTTP server) and `camrelay hash-token`. */
import { createInterface } from 'node:readline';
import { ConfigError, loadConfig } from '../config/load.js';
import type { ServerConfig } from '../config/schema.js';
import { createLogger } from '../log.js';
import { hashToken, newToken } from '../security/secrets.js';
import { createRegistry } from '../server/cameras.js';
import { exitOnSignals, logFfmpeg } from '../server/process-lifecycle.js';
import { describeSource } from '../sources/spec.js';
import { EdgePublisher, nominalFps } from './edge.js';

/** Captures the configured cameras (built the way serve builds them) and publishes them until SIGINT/SIGTERM. */
export async function runPublish(config: ServerConfig): Promise<EdgePublisher> {
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
    `camrelay: publishing ${config.cameras.map((c) => c.id).join(', ')} to ${target.hub} as "${target.name}"\n`,
  );
  return edge;
}

async function readLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('close', () => reject(new Error('no token given on standard input')));
    });
  } finally {
    rl.close();
  }
}

/**
 * No argument: a new random token and its hash. A token (or `-` to read it
 * from standard input, out of the shell history): its hash only.
 */
export async function hashTokenCommand(token?: string): Promise<void> {
  if (token === undefined) {
    const fresh = newToken();
    process.stdout.write(`token: ${fresh}\ntoken_hash: ${hashToken(fresh)}\n`);
    process.stderr.write(
      "Give the token to the edge (publish.token or --token); put token_hash in the hub's config (publishers[].token_hash).\n",
    );
    return;
  }
  let value = token;
  if (token === '-') {
    try {
      value = (await readLine()).trim();
    } catch (err) {
      process.stderr.write(`camrelay: ${(err as Error).message}\n`);
      process.exit(2);
    }
  }
  if (value.length < 16) {
    process.stderr.write(
      'camrelay: a token of at least 16 characters is expected (run `camrelay hash-token` without one to make one)\n',
    );
    process.exit(2);
  }
  process.stdout.write(`${hashToken(value)}\n`);
}

export interface PublishCommandOptions {
  hub?: string;
  name?: string;
  token?: string;
  ca?: string;
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
