/** The events' `camrelay_events_*` series on /metrics, read when Prometheus scrapes. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Events } from './events.js';

export function addEventMetrics(register: Registry, events: Events): void {
  new Counter({
    name: 'camrelay_events_started_total',
    help: 'Motion events started, by camera',
    labelNames: ['camera'],
    registers: [register],
    collect(this: Counter) {
      this.reset();
      for (const [camera, n] of events.started) this.inc({ camera }, n);
    },
  });
  new Gauge({
    name: 'camrelay_events_active',
    help: 'Whether the camera has a motion event now (1) or not (0)',
    labelNames: ['camera'],
    registers: [register],
    collect(this: Gauge) {
      this.reset();
      for (const c of events.watched()) this.set({ camera: c.id }, events.active(c.id) ? 1 : 0);
    },
  });
  new Counter({
    name: 'camrelay_events_store_errors_total',
    help: 'Events that could not be written to the recordings index',
    registers: [register],
    collect(this: Counter) {
      this.reset();
      this.inc(events.storeErrors);
    },
  });
}
