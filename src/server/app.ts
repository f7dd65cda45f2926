/**
 * Wires the server: one Fastify instance, each output registered as a plugin
 * in one place. Outputs read cameras from the registry; they never touch
 * sources directly.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/schema.js';
import type { CameraRegistry } from '../hub/registry.js';
import websocket from '@fastify/websocket';
import { apiRoutes } from '../outputs/api/index.js';
import { legacyRoutes } from '../outputs/legacy/index.js';
import { mjpegRoutes } from '../outputs/mjpeg/index.js';
import { wsRoutes } from '../outputs/ws/index.js';
import { installErrorHandlers } from '../outputs/http-errors.js';
import { metricsRoutes } from '../outputs/metrics/index.js';
import { snapshotRoutes } from '../outputs/snapshot/index.js';
import { sendIndexPage, webRoutes } from '../outputs/web/index.js';
import { recordingAccess, requestMaySee, requestMayWatchRecordings, security } from '../security/index.js';
import { playbackRoutes } from '../playback/index.js';
import { readTls } from '../security/tls.js';
import { Relay, relayMaxPayload, relayRoutes } from '../relay/index.js';
import { CameraFactory, createRegistry } from './cameras.js';
import { TranscoderSlots } from '../hub/transcoder-slots.js';
import { addTranscoderMetrics } from '../outputs/metrics/transcoders.js';
import { RecordingStore, wantsStore } from '../recording/store.js';
import { loadSqlite } from '../recording/segment-index.js';
import { trackConnections } from './connections.js';
import { faviconRoute } from './favicon.js';
import { answerPlainRequestsToWebSockets } from './upgrade-required.js';
import { clipRoute, eventRoutes, type Events, type ObservationSource } from '../events/index.js';
import { setUpEvents } from './events.js';
import { addMotionMetrics, MotionService, motionRoutes } from '../motion/index.js';

/** How long open connections get to end by themselves at shutdown before they are cut. */
const SHUTDOWN_GRACE_MS = 1000;

export interface Server {
  app: FastifyInstance;
  registry: CameraRegistry;
  /** The recording store, when a camera records (or recordings are on disk). */
  recordings?: RecordingStore;
  /** Motion detection on the cameras with `motion:` (src/motion): subscribe to their observations. */
  motion: MotionService;
  /** Motion events (src/events): stored, served, and told to MQTT and webhooks. */
  events: Events;
  /** Stops accepting requests, then stops every camera (and its ffmpeg). */
  close(): Promise<void>;
}

/** Parts a test may hand in instead of the real ones. */
export interface ServerParts {
  /** What the events follow, instead of the motion detectors (a hand-driven detector). */
  observations?: ObservationSource;
}

function indexModuleLoads(log: Logger): boolean {
  try {
    loadSqlite();
    return true;
  } catch (err) {
    log.error(`recording is off: ${(err as Error).message}`);
    return false;
  }
}

export async function buildServer(
  config: ServerConfig,
  log: Logger,
  registry?: CameraRegistry,
  parts: ServerParts = {},
): Promise<Server> {
  // One factory for this server's cameras and those edges publish: they share the hub's transcoder slots.
  const cameras = new CameraFactory(log, new TranscoderSlots(config.security.limits.transcoders));
  registry ??= createRegistry(config.cameras, log, cameras);
  const tls = config.security.tls;
  const app = Fastify({
    ...(tls ? { https: readTls(tls) } : {}),
    loggerInstance: log as FastifyBaseLogger,
    // Per-request lines would drown the log: streams and snapshot polling are many requests.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    // A connection silent this long is dropped (streams write, and WebSockets ping, far more often).
    connectionTimeout: 60_000,
    requestTimeout: 30_000,
    routerOptions: { maxParamLength: 200 },
    // Forwarded headers only from server.trusted_proxies (src/security/proxy.ts reads the same list).
    trustProxy: config.security.trustedProxies.length ? [...config.security.trustedProxies] : false,
    keepAliveTimeout: 5000,
  }) as unknown as FastifyInstance;
  // Slowloris: a client gets this long to send its request head, checked every second
  // (Node's default check is every 30 s; the property is read when the server starts listening).
  app.server.headersTimeout = 10_000;
  (app.server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = 1000;
  const connections = trackConnections(app.server);
  installErrorHandlers(app);
  answerPlainRequestsToWebSockets(app);
  // First: every route registered after it is checked against src/security/policy.ts.
  await app.register(security, { config: config.security, registry, host: config.host });
  const startedAt = Date.now();
  // Cross-network viewing: edges publish cameras here; with `publish:` this server is an edge too.
  const relay = new Relay(config, registry, cameras, log);
  // Continuous recording (src/recording): one recorder per camera with `record:`. Its index's
  // native module is loaded only here: without it, nothing records, and live view goes on.
  const recordings =
    config.recordings && (wantsStore(config) || config.cameras.some((c) => c.motion)) && indexModuleLoads(log)
      ? await RecordingStore.open({
          config: config.recordings,
          cameras: config.cameras,
          registry,
          log,
          // An event starts min_duration after its motion began: the pre-roll reaches back from there.
          preRollMs: (id) => {
            const motion = config.cameras.find((c) => c.id === id)?.motion;
            return motion ? motion.preRollMs + motion.minDurationMs : 5000;
          },
        })
      : undefined;
  // An edge whose `publishers:` entry says `record`: the hub records its cameras while they are published.
  if (recordings) {
    relay.publishers.observe({
      added: (stream, publisher) => {
        if (publisher.record) recordings.attach(stream, publisher.record);
      },
      removed: (id) => void recordings.detach(id, 'no longer published by its edge'),
    });
  }
  // Motion detection (src/motion): one detector per camera with `motion:` (it keeps the camera captured).
  const motion = new MotionService(log);
  for (const camera of config.cameras) {
    const stream = camera.motion ? registry.get(camera.id) : undefined;
    if (camera.motion && stream) motion.attach(stream, camera.motion, camera.substream ? 'sub' : 'main');
  }
  await app.register(motionRoutes, { registry, motion });
  // Motion events (src/events), stored in the recordings' index, and told to MQTT and webhooks (src/notify).
  const events = setUpEvents(config, registry, recordings, parts.observations ?? motion, log);
  await app.register(eventRoutes, { events: events.events, maySee: requestMaySee });
  await app.register(apiRoutes, { registry, startedAt, maySee: requestMaySee, recordings });
  await app.register(snapshotRoutes, { registry });
  // Recorded video: ranges, exports as one MP4, thumbnails (src/playback).
  await app.register(playbackRoutes, {
    registry,
    catalog: recordings,
    root: recordings?.root,
    access: recordingAccess,
    ranges: [clipRoute(events.events, requestMayWatchRecordings, requestMaySee)],
  });
  await app.register(metricsRoutes, {
    registry,
    extra: (register) => {
      relay.publishers.addMetrics(register);
      addTranscoderMetrics(register, cameras.slots);
      recordings?.addMetrics(register);
      addMotionMetrics(register, motion);
      events.addMetrics(register);
    },
  });
  // Sized for publishers' frames (src/relay); viewer endpoints close messages over 4 KiB with 1009 themselves.
  await app.register(websocket, {
    options: { maxPayload: relayMaxPayload(config) },
    // Viewers are told the server is going away (1001), not dropped without a code.
    preClose(this: FastifyInstance, done: () => void) {
      for (const socket of this.websocketServer.clients) socket.close(1001, 'server shutting down');
      this.websocketServer.close(() => done());
    },
    // Resets and oversized messages are the clients' doing: log them quietly, never as server errors.
    errorHandler(error, socket, request) {
      request.log.debug({ err: error }, 'websocket connection error');
      socket.terminate();
    },
  });
  await app.register(wsRoutes, { registry });
  await app.register(relayRoutes, { relay });
  // `/` belongs to the mjpeg plugin (mjpg-streamer's ?action=); it hands plain `/` to the web viewer.
  await app.register(mjpegRoutes, { registry, index: sendIndexPage });
  await app.register(legacyRoutes, { registry });
  await app.register(webRoutes, { registry });
  await app.register(faviconRoute);

  return {
    app,
    registry,
    ...(recordings ? { recordings } : {}),
    motion,
    events: events.events,
    async close() {
      // Streams and downloads never end by themselves, and a peer may not answer a close.
      const cut = setTimeout(() => connections.destroyAll(), SHUTDOWN_GRACE_MS);
      await app.close();
      clearTimeout(cut);
      // Open events end (their rows closed, MQTT told) while the index is open.
      await events.close();
      // Before the cameras stop: each open segment ends cleanly, its index row updated.
      await recordings?.close();
      await motion.close();
      await registry.close();
    },
  };
}
