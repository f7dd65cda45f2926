/** `camrelay publish`: an edge without a local HTTP server (src/relay publishes the cameras). */
import { ConfigError, loadConfig } from '../config/load.js';
import type { ServerConfig } from '../config/schema.js';
import { createLogger } from '../log.js';
import { EdgePublisher, motionCameras, nominalFps } from '../relay/index.js';
import { createRegistry } from '../server/cameras.js';
import { exitOnSignals, logFfmpeg } from '../server/process-lifecycle.js';
import { describeSource } from '../sources/spec.js';
import { DEFAULT_EVENTS_RETAIN_DAYS, Events } from '../events/index.js';
import { MotionService } from '../motion/index.js';
import { tellHub } from '../server/events.js';

/** Captures the configured cameras (built the way serve builds them) and publishes them until SIGINT/SIGTERM. */
async function runPublish(config: ServerConfig): Promise<EdgePublisher> {
  const target = config.publish;
  if (!target) throw new Error('publish needs a hub: --hub URL (or publish.hub in the config)');
  const log = createLogger(config.logLevel);
  logFfmpeg(log);
  const registry = createRegistry(config.cameras, log);
  for (const c of config.cameras)
    log.info({ camera: c.id, source: describeSource(c.spec), alwaysOn: c.alwaysOn }, 'camera configured');
  const edge = new EdgePublisher(registry, target, log, {
    fps: nominalFps(config.cameras),
    motion: motionCameras(config.cameras),
  });
  // Cameras with motion: detected here, their events told to the hub (kept in memory: no store here), with
  // a snapshot of each near its peak (a full-size JPEG of the camera, for a hub that takes them).
  const motion = new MotionService(log);
  const events = new Events({
    store: () => undefined,
    snapshots: async (id) => {
      const unit = await registry.get(id)?.liveUnit('jpeg');
      return unit && !unit.placeholder ? unit.data : undefined;
    },
    log,
  });
  for (const c of config.cameras) {
    const stream = c.motion ? registry.get(c.id) : undefined;
    if (!c.motion || !stream) continue;
    motion.attach(stream, c.motion, c.substream ? 'sub' : 'main');
    events.watch({ id: c.id, timing: c.motion, recorded: false, retainDays: DEFAULT_EVENTS_RETAIN_DAYS }, motion);
  }
  events.feed.listen((notice) => tellHub(edge, notice));

  exitOnSignals(log, async () => {
    events.close();
    await motion.close();
    await edge.close();
    await registry.close();
  });

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
