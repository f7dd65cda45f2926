/**
 * The store's `camrelay_recording_*` series on /metrics, read from the recorders, the retention and
 * the disk when Prometheus scrapes (nothing is counted twice or kept for them).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DiskProblem } from './disk.js';
import { diskSpace } from './disk.js';
import type { Recorder, RecordingStatus } from './recorder.js';
import type { DeletionReason, Retention } from './retention.js';
import type { EventGate } from './event-gate.js';

/** What the series read. */
export interface RecordingMetricsSource {
  recorders: ReadonlyMap<string, Recorder>;
  /** Errors of the store itself (the index), by reason. */
  storeErrors: Partial<Record<DiskProblem, number>>;
  retention: Retention;
  /** Cameras recorded around events: their pre-roll in memory. */
  gates?: ReadonlyMap<string, EventGate>;
  root: string;
  status(camera: string): RecordingStatus | undefined;
}

export function addRecordingMetrics(register: Registry, source: RecordingMetricsSource): void {
  const { recorders, storeErrors, retention, root } = source;
  const perCamera = (name: string, help: string, value: (r: Recorder) => number): void => {
    new Counter({
      name,
      help,
      labelNames: ['camera'],
      registers: [register],
      collect(this: Counter) {
        this.reset();
        for (const r of recorders.values()) this.inc({ camera: r.camera }, value(r));
      },
    });
  };
  new Gauge({
    name: 'camrelay_recording_preroll_bytes',
    help: 'Bytes of video a camera recorded around events keeps in memory for its pre-roll',
    labelNames: ['camera'],
    registers: [register],
    collect(this: Gauge) {
      this.reset();
      for (const [camera, gate] of source.gates ?? []) this.set({ camera }, gate.preRoll.bytes);
    },
  });
  perCamera('camrelay_recording_bytes_total', 'Bytes written to recording segments', (r) => r.counters.bytes);
  perCamera('camrelay_recording_segments_total', 'Recording segments completed', (r) => r.counters.segments);
  perCamera(
    'camrelay_recording_drops_total',
    'Times a segment was cut short because the disk fell behind',
    (r) => r.counters.drops,
  );
  new Counter({
    name: 'camrelay_recording_errors_total',
    help: 'Recording write errors by reason (disk-full, read-only, missing, permission, io)',
    labelNames: ['camera', 'reason'],
    registers: [register],
    collect(this: Counter) {
      this.reset();
      for (const r of recorders.values()) {
        for (const [reason, n] of Object.entries(r.counters.errors)) this.inc({ camera: r.camera, reason }, n);
      }
      for (const [reason, n] of Object.entries(storeErrors)) this.inc({ camera: '', reason }, n);
    },
  });
  const states: RecordingStatus['state'][] = ['recording', 'waiting', 'error'];
  new Gauge({
    name: 'camrelay_recording_state',
    help: '1 for the state each recorded camera is in (recording, waiting, error)',
    labelNames: ['camera', 'state'],
    registers: [register],
    collect(this: Gauge) {
      this.reset();
      for (const camera of recorders.keys()) {
        const s = source.status(camera)?.state;
        for (const state of states) this.set({ camera, state }, s === state ? 1 : 0);
      }
    },
  });
  new Counter({
    name: 'camrelay_recording_deletions_total',
    help: 'Segments deleted by retention, by reason (age, camera-size, edge-size, store-size, min-free)',
    labelNames: ['reason'],
    registers: [register],
    collect(this: Counter) {
      this.reset();
      for (const [reason, n] of Object.entries(retention.deletions) as [DeletionReason, number][]) {
        this.inc({ reason }, n);
      }
    },
  });
  new Gauge({
    name: 'camrelay_recording_store_bytes',
    help: 'Bytes of the recordings on disk (at the last retention run)',
    registers: [register],
    collect(this: Gauge) {
      this.set(retention.storeBytes);
    },
  });
  new Gauge({
    name: 'camrelay_recording_free_bytes',
    help: 'Free bytes on the file system of the recordings',
    registers: [register],
    async collect(this: Gauge) {
      try {
        this.set((await diskSpace(root)).free);
      } catch {
        this.set(retention.freeBytes ?? 0);
      }
    },
  });
}
