/**
 * Viewer metrics per camera (and protocol): totals and distributions, never a
 * series per viewer, so the number of series does not grow with the viewers
 * that come and go. Per-viewer detail is in GET /api/cameras/:id.
 *
 * Counters add the viewers connected now (read when scraped) to the final
 * counts of those gone (told by the hub as they leave), so they only grow.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ViewerStats } from '../../hub/consumer.js';
import type { CameraRegistry } from '../../hub/registry.js';

type Totals = Pick<ViewerStats, 'framesSent' | 'framesDropped' | 'bytesSent'> & { connections: number };

/** Seconds: loopback and LAN at the bottom, a congested mobile uplink at the top. */
const RTT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Share of the frames offered to a viewer that it never got: 0 for a viewer that kept up. */
const DROPPED_BUCKETS = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1];

export function addViewerMetrics(register: Registry, cameras: CameraRegistry): void {
  /** Totals of the viewers gone, by camera and protocol: as many entries as cameras × protocols. */
  const gone = new Map<string, Map<string, Totals>>();
  const totalsOf = (camera: string, protocol: string): Totals => {
    let byProtocol = gone.get(camera);
    if (!byProtocol) gone.set(camera, (byProtocol = new Map()));
    let totals = byProtocol.get(protocol);
    if (!totals) byProtocol.set(protocol, (totals = { connections: 0, framesSent: 0, framesDropped: 0, bytesSent: 0 }));
    return totals;
  };

  const rtt = new Histogram({
    name: 'camrelay_viewer_rtt_seconds',
    help: 'Round-trip time from sending a frame to its ack (WebSocket viewers with acks), at most 4 samples per second per viewer',
    labelNames: ['camera'],
    buckets: RTT_BUCKETS,
    registers: [register],
  });
  const dropped = new Histogram({
    name: 'camrelay_viewer_dropped_ratio',
    help: 'Share of the frames a viewer never got, a newer one replacing them (latest wins), per viewer as it leaves',
    labelNames: ['camera'],
    buckets: DROPPED_BUCKETS,
    registers: [register],
  });
  // One ack per frame per viewer reaches this: each camera's series is looked up once, not per ack.
  const rttOf = new Map<string, ReturnType<typeof rtt.labels>>();
  cameras.viewerEvents.listen({
    rtt: (camera, ms) => {
      let series = rttOf.get(camera);
      if (!series) rttOf.set(camera, (series = rtt.labels({ camera })));
      series.observe(ms / 1000);
    },
    left: (camera, s) => {
      const totals = totalsOf(camera, s.protocol);
      totals.connections++;
      totals.framesSent += s.framesSent;
      totals.framesDropped += s.framesDropped;
      totals.bytesSent += s.bytesSent;
      const offered = s.framesSent + s.framesDropped;
      if (offered > 0) dropped.observe({ camera }, s.framesDropped / offered);
    },
  });

  const counter = (name: string, help: string, key: keyof Totals): void => {
    new Counter({
      name,
      help,
      labelNames: ['camera', 'protocol'],
      registers: [register],
      collect(this: Counter) {
        this.reset();
        for (const [camera, byProtocol] of gone) {
          for (const [protocol, totals] of byProtocol) this.inc({ camera, protocol }, totals[key]);
        }
        for (const camera of cameras.list()) {
          for (const v of camera.viewers()) {
            this.inc({ camera: camera.id, protocol: v.protocol }, key === 'connections' ? 1 : v[key]);
          }
        }
      },
    });
  };
  counter('camrelay_viewer_connections_total', 'Viewers that connected (those connected now included)', 'connections');
  counter('camrelay_viewer_frames_sent_total', 'Frames sent to viewers', 'framesSent');
  counter('camrelay_viewer_frames_dropped_total', 'Frames skipped for viewers behind (latest wins)', 'framesDropped');
  counter('camrelay_viewer_bytes_sent_total', 'Bytes sent to viewers', 'bytesSent');
}
