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
import { recordingAccess, requestMaySee, requestMayWatchRecordings, security, SessionLink } from '../security/index.js';
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
import { startRtspServer, type RtspServer } from '../outputs/rtsp/index.js';
import { addClusterMetrics, clusterRoutes, startCluster, type RecordElsewhere } from '../cluster/index.js';
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
  /** The RTSP server (`rtsp:`), once the HTTP server listens. */
  readonly rtsp: RtspServer | undefined;
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

function withoutRecord(camera: ServerConfig['cameras'][number]): ServerConfig['cameras'][number] {
  const rest = { ...camera };
  delete rest.record;
  return rest;
}

/** This hub's cameras that another hub records (`record: { on: hub }`), for the catalogue. */
function recordElsewhere(cameras: ServerConfig['cameras']): Map<string, RecordElsewhere> {
  const map = new Map<string, RecordElsewhere>();
  for (const c of cameras) {
    if (!c.record?.on) continue;
    const { retainDays, retainBytes } = c.record;
    map.set(c.id, { on: c.record.on, record: { retainDays, ...(retainBytes !== undefined ? { retainBytes } : {}) } });
  }
  return map;
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
  // A cluster's hubs share login sessions through the link (src/cluster).
  const sessionLink = new SessionLink();
  await app.register(security, { config: config.security, registry, host: config.host, sessionLink });
  const startedAt = Date.now();
  // Cross-network viewing: edges publish cameras here; with `publish:` this server is an edge too.
  const relay = new Relay(config, registry, cameras, log);
  // Continuous recording (src/recording): one recorder per camera with `record:`. Its index's
  // native module is loaded only here: without it, nothing records, and live view goes on.
  // A camera whose `record.on` names another hub of the cluster is recorded there, not here.
  const recordedHere = config.cameras.map((c) => (c.record?.on ? withoutRecord(c) : c));
  const recordsForOthers = config.cluster?.recordsForOthers === true;
  const recordings =
    config.recordings &&
    (wantsStore({ ...config, cameras: recordedHere }) || recordsForOthers || config.cameras.some((c) => c.motion)) &&
    indexModuleLoads(log)
      ? await RecordingStore.open({
          config: config.recordings,
          cameras: recordedHere,
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
      added: (stream, publisher, preRollFrom) => {
        if (publisher.record) recordings.attach(stream, publisher.record, preRollFrom);
      },
      removed: (id) => void recordings.detach(id, 'no longer published by its edge'),
    });
  }
  // Several hubs as one (src/cluster): the other hubs' cameras join the registry as `remote` cameras.
  if (config.publishedCameras) cameras.remoteTiming = config.publishedCameras;
  const cluster = config.cluster
    ? startCluster(config.cluster, registry, cameras, log, recordElsewhere(config.cameras), sessionLink)
    : undefined;
  if (cluster && recordings && recordsForOthers) cluster.remote.recorder = recordings;
  await app.register(clusterRoutes, { cluster });
  // Motion detection (src/motion): one detector per camera with `motion:` (it keeps the camera captured).
  const motion = new MotionService(log);
  for (const camera of config.cameras) {
    const stream = camera.motion ? registry.get(camera.id) : undefined;
    if (camera.motion && stream) motion.attach(stream, camera.motion, camera.substream ? 'sub' : 'main');
  }
  await app.register(motionRoutes, { registry, motion });
  // Motion events (src/events), stored in the recordings' index, and told to MQTT and webhooks (src/notify).
  const events = setUpEvents(config, registry, recordings, parts.observations ?? motion, relay, log);
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
      if (cluster) addClusterMetrics(register, () => cluster.info());
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

  // RTSP (src/outputs/rtsp): the same cameras, credentials and limits, on its own port, with the HTTP server.
  let rtsp: RtspServer | undefined;
  const rtspConfig = config.rtsp;
  if (rtspConfig) {
    app.addHook('onReady', async () => {
      const limits = config.security.limits;
      rtsp = await startRtspServer({
        config: rtspConfig,
        registry,
        access: app.streamAccess,
        log,
        ...(tls ? { tls: readTls(tls) } : {}),
        connectionsPerAddress: limits.connections_per_address,
        connectionsPerCredential: limits.viewers_per_credential,
        maxSessions: limits.viewers_total,
      });
    });
  }

  return {
    app,
    registry,
    ...(recordings ? { recordings } : {}),
    get rtsp() {
      return rtsp;
    },
    motion,
    events: events.events,
    async close() {
      await rtsp?.close();
      // Streams and downloads never end by themselves, and a peer may not answer a close.
      const cut = setTimeout(() => connections.destroyAll(), SHUTDOWN_GRACE_MS);
      await app.close();
      clearTimeout(cut);
      await cluster?.close();
      // Open events end (their rows closed, MQTT told) while the index is open.
      await events.close();
      // Before the cameras stop: each open segment ends cleanly, its index row updated.
      await recordings?.close();
      await motion.close();
      await registry.close();
    },
  };
}
