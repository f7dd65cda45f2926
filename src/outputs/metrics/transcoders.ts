/** The hub-wide transcoder cap in /metrics (limits.transcoders): slots in use, the limit, refusals. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TranscoderSlots } from '../../hub/transcoder-slots.js';

export function addTranscoderMetrics(register: Registry, slots: TranscoderSlots): void {
  new Gauge({
    name: 'camrelay_transcoders_running',
    help: "Transcoder processes (decoders and encoders) running or exiting, by whose camera: 'own' or 'edge'",
    labelNames: ['owner'],
    registers: [register],
    collect(this: Gauge) {
      this.set({ owner: 'edge' }, slots.edgeInUse);
      this.set({ owner: 'own' }, slots.inUse - slots.edgeInUse);
    },
  });
  new Gauge({
    name: 'camrelay_transcoders_limit',
    help: "Transcoders the hub runs at most (limits.transcoders); edges' cameras at most half",
    registers: [register],
    collect(this: Gauge) {
      this.set(slots.limit);
    },
  });
  new Counter({
    name: 'camrelay_transcoders_refused_total',
    help: 'Transcoder start attempts refused (the track waits) because the hub ran as many as limits.transcoders allows',
    registers: [register],
    collect(this: Counter) {
      this.reset();
      this.inc(slots.refused);
    },
  });
}
