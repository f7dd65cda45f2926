/**
 * The hub side's series in /metrics: per publisher (`camrelay_publisher_*`, the clock offset) and per
 * published camera and codec (`camrelay_relay_uplink_*`), read from the same figures as GET
 * /api/publishers when scraped.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PublishedCamera } from './published-cameras.js';
import type { PublisherInfo } from './publisher-report.js';
import { RELAY_CODECS, type RelayCodec } from './protocol.js';

export function addPublisherMetrics(
  register: Registry,
  publishers: () => PublisherInfo[],
  cameras: () => PublishedCamera[],
): void {
  const series = (kind: 'counter' | 'gauge', name: string, help: string, value: (p: PublisherInfo) => number): void => {
    const Metric = kind === 'counter' ? Counter : Gauge;
    new Metric({
      name,
      help,
      labelNames: ['publisher'],
      registers: [register],
      collect(this: Counter | Gauge) {
        this.reset();
        for (const p of publishers()) this.inc({ publisher: p.name }, value(p));
      },
    });
  };
  series('gauge', 'camrelay_publisher_connected', '1 while the edge is connected', (p) => (p.connected ? 1 : 0));
  series(
    'counter',
    'camrelay_publisher_received_bytes_total',
    'Bytes received from the edge (messages, all connections)',
    (p) => p.bytesReceived,
  );
  series('counter', 'camrelay_publisher_frames_total', 'Frames received from the edge', (p) => p.framesReceived);
  series('counter', 'camrelay_publisher_connections_total', 'Connections accepted from the edge', (p) => p.connections);
  series(
    'counter',
    'camrelay_publisher_config_churn_closes_total',
    "Connections closed (1008) because a camera's configuration kept changing",
    (p) => p.configChurnCloses,
  );
  series(
    'counter',
    'camrelay_publisher_oversize_closes_total',
    "Connections closed (1008) for a picture over the edge's max_size",
    (p) => p.oversizeCloses,
  );
  // Per published camera and codec: what its uplink carried (rate() of the bytes is its bitrate).
  const uplink = (name: string, help: string, value: (c: PublishedCamera, codec: RelayCodec) => number): void => {
    new Counter({
      name,
      help,
      labelNames: ['edge', 'camera', 'codec'],
      registers: [register],
      collect(this: Counter) {
        this.reset();
        for (const c of cameras())
          for (const codec of RELAY_CODECS)
            if (c.uplink.frames[codec] > 0) this.inc({ edge: c.edge, camera: c.id, codec }, value(c, codec));
      },
    });
  };
  uplink(
    'camrelay_relay_uplink_bytes_total',
    'Bytes of frames received over the edge uplink, per published camera and codec',
    (c, codec) => c.uplink.bytes[codec],
  );
  uplink(
    'camrelay_relay_uplink_frames_total',
    'Frames received over the edge uplink, per published camera and codec',
    (c, codec) => c.uplink.frames[codec],
  );
  new Gauge({
    name: 'camrelay_relay_clock_offset_seconds',
    help: "The edge's clock minus the hub's, estimated from pings over the uplink",
    labelNames: ['publisher'],
    registers: [register],
    collect(this: Gauge) {
      this.reset();
      for (const p of publishers())
        if (p.clockOffsetMs !== null) this.set({ publisher: p.name }, p.clockOffsetMs / 1000);
    },
  });
}
