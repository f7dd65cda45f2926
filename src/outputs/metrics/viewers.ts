/** Per-viewer metrics: one series per connected viewer, gone when it leaves. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ViewerStats } from '../../hub/frame.js';
import type { CameraRegistry } from '../../hub/registry.js';

const LABELS = ['camera', 'viewer', 'protocol', 'remote'] as const;

export function addViewerMetrics(register: Registry, cameras: CameraRegistry): void {
  const perViewer = (kind: 'counter' | 'gauge', name: string, help: string, value: (v: ViewerStats) => number | undefined): void => {
    const Metric = kind === 'counter' ? Counter : Gauge;
    new Metric({
      name,
      help,
      labelNames: LABELS,
      registers: [register],
      collect(this: Counter | Gauge) {
        this.reset();
        for (const camera of cameras.list()) {
          for (const v of camera.viewers()) {
            const n = value(v);
            if (n !== undefined) this.inc({ camera: camera.id, viewer: v.id, protocol: v.protocol, remote: v.remoteAddress }, n);
          }
        }
      },
    });
  };
  perViewer('counter', 'camrelay_viewer_frames_sent_total', 'Frames sent to the viewer', (v) => v.framesSent);
  perViewer('counter', 'camrelay_viewer_frames_dropped_total', 'Frames skipped for the viewer (it was behind; latest wins)', (v) => v.framesDropped);
  perViewer('counter', 'camrelay_viewer_bytes_sent_total', 'Bytes sent to the viewer', (v) => v.bytesSent);
  perViewer('gauge', 'camrelay_viewer_rtt_milliseconds', 'Round-trip time from the viewer acks', (v) => v.rttMs);
}
