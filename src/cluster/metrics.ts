/** The cluster's series in /metrics, read from the same figures as GET /api/cluster when scraped. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ClusterInfo } from './cluster.js';

export function addClusterMetrics(register: Registry, info: () => ClusterInfo): void {
  new Gauge({
    name: 'camrelay_cluster_connected',
    help: '1 while this hub is connected to the NATS bus',
    registers: [register],
    collect(this: Gauge) {
      this.set(info().nats.state === 'connected' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'camrelay_cluster_hub_reachable',
    help: 'Per hub of the cluster (this one included): 1 while heard from, 0 when silent past three heartbeats',
    labelNames: ['hub'],
    registers: [register],
    collect(this: Gauge) {
      this.reset();
      for (const h of info().hubs) this.set({ hub: h.name }, h.reachable ? 1 : 0);
    },
  });
  new Gauge({
    name: 'camrelay_cluster_hub_pulls',
    help: 'Per hub: the cameras of other hubs it pulls now',
    labelNames: ['hub'],
    registers: [register],
    collect(this: Gauge) {
      this.reset();
      for (const h of info().hubs) this.set({ hub: h.name }, h.pulls.length);
    },
  });
  new Gauge({
    name: 'camrelay_cluster_camera_pulling_hubs',
    help: 'Per camera: the hubs pulling it over the bus now',
    labelNames: ['camera', 'owner'],
    registers: [register],
    collect(this: Gauge) {
      this.reset();
      for (const c of info().cameras) this.set({ camera: c.id, owner: c.owner }, c.pulledBy.length);
    },
  });
  const bus = (name: string, help: string, field: keyof ClusterInfo['cameras'][number]['bus']) =>
    new Counter({
      name,
      help,
      labelNames: ['camera', 'owner'],
      registers: [register],
      collect(this: Counter) {
        this.reset();
        for (const c of info().cameras) if (c.bus[field] > 0) this.inc({ camera: c.id, owner: c.owner }, c.bus[field]);
      },
    });
  bus(
    'camrelay_cluster_bus_sent_bytes_total',
    "Bytes of the camera's units its owner published on the bus (once for the cluster)",
    'bytesOut',
  );
  bus('camrelay_cluster_bus_received_bytes_total', "Bytes of the camera's units this hub took from the bus", 'bytesIn');
  bus(
    'camrelay_cluster_bus_gaps_total',
    'Times units of the camera were lost on the way to this hub (it skipped to the next keyframe)',
    'gaps',
  );
}
