/**
 * GET /metrics in the Prometheus text format. Values are read from the
 * cameras when scraped; nothing is counted twice on the frame path (viewers'
 * round trips and departures, observed as they happen, are in viewers.ts).
 * Every series is per camera, publisher or process: none per viewer.
 */
import type { FastifyPluginAsync } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { CameraStream, TrackInfo } from '../../hub/camera-stream.js';
import type { CameraRegistry } from '../../hub/registry.js';
import type { Codec } from '../../media/index.js';
import { addEventLoopMetrics, EVENT_LOOP_SERIES } from './event-loop.js';
import { addViewerMetrics } from './viewers.js';

const PREFIX = 'camrelay_';
const CODECS: readonly Codec[] = ['jpeg', 'h264'];
/**
 * prom-client's event-loop monitor, never to tick (24.8 days, the longest a
 * timer takes): its seven histogram series are replaced by event-loop.ts's.
 */
const NEVER_MS = 2 ** 31 - 1;

type CameraValue = (camera: CameraStream) => number;

/**
 * `extra` adds series owned elsewhere (the relay's per-publisher counters).
 * `stop` ends the event-loop monitor.
 */
export function createMetrics(
  cameras: CameraRegistry,
  extra?: (register: Registry) => void,
): { register: Registry; stop: () => void } {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: PREFIX, eventLoopMonitoringPrecision: NEVER_MS });
  for (const series of EVENT_LOOP_SERIES) {
    register.removeSingleMetric(`${PREFIX}nodejs_eventloop_lag_${series}_seconds`);
  }
  // Counts that are gauges, yet named `_total` (promtool rejects them); the same counts by type stay.
  for (const kind of ['handles', 'requests', 'resources']) {
    register.removeSingleMetric(`${PREFIX}nodejs_active_${kind}_total`);
  }
  const stop = addEventLoopMetrics(register, PREFIX);

  const perCamera = (kind: 'counter' | 'gauge', name: string, help: string, value: CameraValue): void => {
    const Metric = kind === 'counter' ? Counter : Gauge;
    new Metric({
      name,
      help,
      labelNames: ['camera'],
      registers: [register],
      collect(this: Counter | Gauge) {
        this.reset();
        for (const camera of cameras.list()) this.inc({ camera: camera.id }, value(camera));
      },
    });
  };

  perCamera('counter', 'camrelay_camera_frames_total', 'Frames received from the camera', (c) => c.counters.frames);
  perCamera('counter', 'camrelay_camera_bytes_total', 'Bytes received from the camera', (c) => c.counters.bytes);
  perCamera('counter', 'camrelay_camera_restarts_total', 'Source restarts after a failure', (c) => c.counters.restarts);
  perCamera('counter', 'camrelay_camera_offline_seconds_total', 'Time spent offline', (c) => c.offlineMs() / 1000);
  perCamera('gauge', 'camrelay_camera_online', '1 when the camera delivers frames', (c) =>
    c.state === 'online' ? 1 : 0,
  );
  perCamera(
    'gauge',
    'camrelay_camera_consumers',
    'Consumers subscribed (viewers and pending snapshots)',
    (c) => c.consumerCount,
  );
  perCamera('gauge', 'camrelay_camera_viewers', 'Viewers connected', (c) => c.viewers().length);
  perCamera('gauge', 'camrelay_camera_fps', 'Measured frames per second', (c) => c.fps());
  const perTrack = (name: string, help: string, value: (t: TrackInfo) => number | null): void => {
    new Gauge({
      name,
      help,
      labelNames: ['camera', 'codec'],
      registers: [register],
      collect(this: Gauge) {
        this.reset();
        for (const camera of cameras.list()) {
          for (const track of camera.trackInfo({ cpu: false })) {
            const v = value(track);
            // Only tracks in use: a camera's derived track nobody watches has no series. The H.264 sub-stream
            // has none either (its `codec` label would collide with the main stream's).
            if (v !== null && track.quality === 'main' && (track.origin === 'native' || track.running)) {
              this.set({ camera: camera.id, codec: track.codec }, v);
            }
          }
        }
      },
    });
  };
  perTrack('camrelay_track_bytes_per_second', 'Bytes received over the last second, per track', (t) => t.bitrate / 8);
  perTrack('camrelay_track_keyframe_interval_seconds', 'Time between the last two keyframes', (t) =>
    t.keyframeIntervalMs === null ? null : t.keyframeIntervalMs / 1000,
  );
  perTrack('camrelay_track_consumers', 'Consumers subscribed to the track', (t) => t.consumers);
  perCamera('counter', 'camrelay_camera_transcoder_starts_total', 'Transcoders started', (c) => c.transcoderStarts);
  addProcessMetrics(register, cameras);
  addViewerMetrics(register, cameras);
  extra?.(register);
  return { register, stop };
}

/**
 * What makes each track in use (an info series, value 1: `camera`, `mjpeg`, `decoder` or one of the few H.264
 * encoders, so the label has a handful of values), and the CPU time of the processes that make them, read from
 * /proc when scraped. A CPU counter adds the seconds of the processes that ended to the running one's.
 */
function addProcessMetrics(register: Registry, cameras: CameraRegistry): void {
  new Gauge({
    name: 'camrelay_track_encoder_info',
    help: 'What makes the track in use: camera (passed through), mjpeg, decoder, or the H.264 encoder (value 1)',
    labelNames: ['camera', 'codec', 'encoder'],
    registers: [register],
    collect(this: Gauge) {
      this.reset();
      for (const camera of cameras.list()) {
        for (const track of camera.trackInfo({ cpu: false })) {
          if (track.encoder === null || track.quality !== 'main') continue;
          this.set({ camera: camera.id, codec: track.codec, encoder: track.encoder }, 1);
        }
      }
    },
  });
  new Counter({
    name: 'camrelay_transcoder_cpu_seconds_total',
    help: 'CPU time used by the transcoder of a derived track (H.264 encoder, JPEG decoder), over all its runs',
    labelNames: ['camera', 'codec'],
    registers: [register],
    collect(this: Counter) {
      this.reset();
      for (const camera of cameras.list()) {
        for (const codec of CODECS) {
          const seconds = camera.transcoderCpuSeconds(codec);
          if (seconds !== undefined) this.inc({ camera: camera.id, codec }, seconds);
        }
      }
    },
  });
  new Counter({
    name: 'camrelay_capture_cpu_seconds_total',
    help: 'CPU time used by the camera capture process (ffmpeg), over all its runs',
    labelNames: ['camera'],
    registers: [register],
    collect(this: Counter) {
      this.reset();
      for (const camera of cameras.list()) {
        const seconds = camera.captureCpuSeconds();
        if (seconds !== undefined) this.inc({ camera: camera.id }, seconds);
      }
    },
  });
}

export const metricsRoutes: FastifyPluginAsync<{
  registry: CameraRegistry;
  extra?: (register: Registry) => void;
}> = async (app, { registry, extra }) => {
  const { register: metrics, stop } = createMetrics(registry, extra);
  app.addHook('onClose', async () => stop());
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.metrics();
  });
};
