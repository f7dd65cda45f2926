/**
 * GET /metrics in the Prometheus text format. Values are read from the
 * cameras when scraped; nothing is counted twice on the frame path.
 */
import type { FastifyPluginAsync } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { CameraStream } from '../../hub/camera-stream.js';
import type { CameraRegistry } from '../../hub/registry.js';
import { addViewerMetrics } from './viewers.js';

type CameraValue = (camera: CameraStream) => number;

/** `extra` adds series owned elsewhere (the relay's per-publisher counters). */
export function createMetrics(cameras: CameraRegistry, extra?: (register: Registry) => void): Registry {
  const register = new Registry();
  // A coarse event-loop monitor: the default 10 ms one wakes an idle server 100 times a second.
  collectDefaultMetrics({ register, prefix: 'camrelay_', eventLoopMonitoringPrecision: 1000 });

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
  perCamera('counter', 'camrelay_camera_bytes_total', 'JPEG bytes received from the camera', (c) => c.counters.bytes);
  perCamera('counter', 'camrelay_camera_restarts_total', 'Source restarts after a failure', (c) => c.counters.restarts);
  perCamera('counter', 'camrelay_camera_offline_seconds_total', 'Time spent offline', (c) => c.offlineMs() / 1000);
  perCamera('gauge', 'camrelay_camera_online', '1 when the camera delivers frames', (c) => (c.state === 'online' ? 1 : 0));
  perCamera('gauge', 'camrelay_camera_consumers', 'Consumers subscribed (viewers and pending snapshots)', (c) => c.consumerCount);
  perCamera('gauge', 'camrelay_camera_viewers', 'Viewers connected', (c) => c.viewers().length);
  perCamera('gauge', 'camrelay_camera_fps', 'Measured frames per second', (c) => c.fps());
  addViewerMetrics(register, cameras);
  extra?.(register);
  return register;
}

export const metricsRoutes: FastifyPluginAsync<{ registry: CameraRegistry; extra?: (register: Registry) => void }> = async (app, { registry, extra }) => {
  const metrics = createMetrics(registry, extra);
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.metrics();
  });
};
