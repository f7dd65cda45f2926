/**
 * Continuous recording to disk: the store (`RecordingCatalog` below is the contract with playback). One
 * Recorder per recorded camera writes fragmented MP4 segments under `recordings.path`, an SQLite
 * index lists them and the gaps between them, Retention deletes what the limits no longer allow,
 * and start-up repair leaves every file playable after a crash. The read API (RecordingCatalog)
 * is what playback and the camera JSON use.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CameraStream } from '../hub/camera-stream.js';
import type { CameraRegistry } from '../hub/registry.js';
import type { CameraRecordConfig, RecordingsConfig } from './config.js';

/** What the store reads of a configured camera (src/config's CameraConfig has it). */
export interface RecordedCamera {
  id: string;
  record?: CameraRecordConfig;
}
import { Backoff } from '../hub/backoff.js';
import { classifyError, describeProblem, type DiskProblem, type DiskSpace } from './disk.js';
import type { GapReason, GapRow, IndexDb, SegmentRow } from './segment-index.js';
import { Recorder, type RecordingStatus } from './recorder.js';
import { INDEX_FILE, openIndex, repairStore, type RepairReport } from './repair.js';
import { Retention, type RetentionDeps } from './retention.js';
import { EventGate } from './event-gate.js';
import type { Consumer } from '../hub/consumer.js';

/** The pre-roll of a camera recorded around events when its detector's config says none. */
const DEFAULT_PRE_ROLL_MS = 5000;
import { addRecordingMetrics } from './metrics.js';

export type { RecordingStatus } from './recorder.js';
export type { GapReason } from './segment-index.js';
export type { CameraRecordConfig, RecordingsConfig } from './config.js';
export { parseSize } from './config.js';

/** A segment as the catalog gives it: its index row, the file's path made absolute. */
export interface SegmentRecord extends Omit<SegmentRow, 'file'> {
  /** Absolute path, checked to be inside the root. */
  file: string;
}

export interface GapRecord {
  camera: string;
  startMs: number;
  endMs: number;
  reason: GapReason;
  detail?: string;
}

export interface RecordingCatalog {
  /** Segments overlapping [startMs, endMs), oldest first (the open one included). */
  segments(camera: string, startMs: number, endMs: number): SegmentRecord[];
  /** Gaps overlapping [startMs, endMs), oldest first. */
  gaps(camera: string, startMs: number, endMs: number): GapRecord[];
  /** Every camera id with recordings on disk, removed cameras included. */
  cameras(): string[];
  /** What /api/cameras shows per camera: undefined when the camera is not recorded. */
  status(camera: string): RecordingStatus | undefined;
}

export interface RecordingStoreOptions {
  config: RecordingsConfig;
  /** The configured cameras; those with `record` are recorded. */
  cameras: readonly RecordedCamera[];
  registry: CameraRegistry;
  log: Logger;
  /** The clock retention judges ages by (tests move it). */
  now?: () => number;
  retentionIntervalMs?: number;
  /** The file system's space (tests replace it). */
  space?: (path: string) => Promise<DiskSpace>;
  /** Bound of each recorder's queue of writes. */
  queue?: { bytes: number; ops: number };
  /** A camera recorded around events (`record: {mode: events}`): how much video before an event it keeps (ms). */
  preRollMs?: (camera: string) => number;
}

/** Whether a server with this config has a store: a camera (or an edge's cameras) records, or recordings are on disk. */
export function wantsStore(config: {
  cameras: readonly RecordedCamera[];
  publishers?: readonly { record?: CameraRecordConfig }[];
  recordings?: RecordingsConfig;
}): boolean {
  if (!config.recordings) return false;
  const records = config.cameras.some((c) => c.record) || (config.publishers ?? []).some((p) => p.record);
  return records || existsIndex(config.recordings.path);
}

function existsIndex(root: string): boolean {
  return existsSync(join(root, INDEX_FILE));
}

export class RecordingStore implements RecordingCatalog {
  readonly root: string;
  readonly segmentDurationMs: number;
  readonly log: Logger;
  private index: IndexDb | undefined;
  /** The index file's inode: another one (or none) means the folder was replaced (unmounted, removed). */
  private indexIno: number | undefined;
  private indexProblem: { problem: DiskProblem; message: string; err: unknown; since: number } | undefined;
  private readonly recorders = new Map<string, Recorder>();
  /** Recorders of cameras that went away, still writing their last fragment and closing their segment. */
  private readonly detaching = new Set<Promise<void>>();
  /** Per recorded camera: leaves its H.264 track. */
  private readonly unsubscribe = new Map<string, () => void>();
  private readonly recorded: Map<string, CameraRecordConfig>;
  /** Cameras recorded around events: their gates (event-gate.ts). */
  readonly gates = new Map<string, EventGate>();
  /** Of those, cameras edges publish: their video is asked for only around events. */
  private readonly onDemand = new Map<string, CameraStream>();
  /** Of those, how to ask the edge for its buffered video from before an event (RemoteSource.preRollFrom). */
  private readonly preRollFrom = new Map<string, (from: number) => void>();
  /** The spans events keep longer (set by src/events once it is open on this index). */
  private keepSpans: RetentionDeps['keep'];
  private readonly retention: Retention;
  private retentionTimer: NodeJS.Timeout | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  private readonly reopenBackoff = new Backoff();
  private closed = false;
  /** Errors of the store itself (the index), by reason. */
  private readonly storeErrors: Partial<Record<DiskProblem, number>> = {};
  repairReport: RepairReport | undefined;

  private constructor(private readonly options: RecordingStoreOptions) {
    this.root = resolve(options.config.path);
    this.segmentDurationMs = options.config.segmentDurationMs;
    this.log = options.log;
    this.recorded = new Map(
      options.cameras.filter((c) => c.record).map((c) => [c.id, c.record!] as [string, CameraRecordConfig]),
    );
    const now = options.now ?? Date.now;
    this.retention = new Retention({
      root: this.root,
      config: options.config,
      cameras: this.recorded,
      db: () => this.db(),
      openBytes: () => {
        const out = new Map<string, number>();
        for (const [camera, r] of this.recorders) {
          const s = r.openSegment();
          if (s) out.set(camera, s.writtenBytes);
        }
        return out;
      },
      openIds: () => {
        const ids = new Set<number>();
        for (const r of this.recorders.values()) {
          const s = r.openSegment();
          if (s?.id !== undefined) ids.add(s.id);
        }
        return ids;
      },
      keep: (camera, from, to) => this.keepSpans?.(camera, from, to) ?? [],
      now,
      log: options.log,
      ...(options.space ? { space: options.space } : {}),
    });
  }

  /**
   * Opens the store: creates its folder, repairs what a crash left, starts a recorder per recorded
   * camera and the retention timer. A disk problem at start does not fail the server: recording
   * says 'error' and retries.
   */
  static async open(options: RecordingStoreOptions): Promise<RecordingStore> {
    const store = new RecordingStore(options);
    await store.openIndex();
    for (const [id] of store.recorded) {
      const camera = options.registry.get(id);
      if (camera) store.startRecorder(camera);
    }
    if (store.index) await store.runRetention();
    const every = options.retentionIntervalMs ?? 60_000;
    store.retentionTimer = setInterval(() => void store.runRetention(), every);
    store.retentionTimer.unref();
    const cameras = [...store.recorders.keys()];
    options.log.info({ path: store.root, cameras }, 'recording: store open');
    return store;
  }

  /**
   * `onDemand` (a camera an edge publishes, recorded around events): its video is asked for only
   * from an event's start to its post-roll, so the edge's uplink carries nothing between events.
   */
  private startRecorder(camera: CameraStream, onDemand = false): void {
    const recorder = new Recorder(camera.id, this, this.options.queue);
    try {
      recorder.stoppedSince(this.index?.lastEnd(camera.id));
    } catch {
      // a gap less in the index
    }
    this.recorders.set(camera.id, recorder);
    let consumer: Consumer = recorder;
    if (this.recorded.get(camera.id)?.mode === 'events') {
      const preRollMs = this.options.preRollMs?.(camera.id) ?? DEFAULT_PRE_ROLL_MS;
      const gate = new EventGate(recorder, preRollMs, undefined, () => {
        if (!this.onDemand.has(camera.id)) return;
        // Past the post-roll: the edge's camera is let go until the next event.
        this.unsubscribe.get(camera.id)?.();
        this.unsubscribe.delete(camera.id);
        gate.preRoll.clear();
      });
      this.gates.set(camera.id, gate);
      consumer = gate;
      if (onDemand) {
        this.onDemand.set(camera.id, camera);
        return;
      }
    }
    // The camera's own H.264 or H.265, as it comes; H.264 encoded from a camera that sends JPEG. Its audio
    // beside it (none for a camera without, or with `audio: false`), only when recorded continuously: the
    // events gate holds whole groups of pictures of the video alone.
    const video = camera.subscribeVideo(consumer);
    const audio = consumer === recorder ? camera.subscribeAudio(recorder) : undefined;
    this.unsubscribe.set(camera.id, () => {
      video();
      audio?.();
    });
  }

  /**
   * An event of the camera started (at `startMs`, wall clock): a camera recorded around events writes its
   * pre-roll and records. An edge's camera, not running, is started with its edge's buffered video from the
   * pre-roll before the event on (an edge that keeps none sends it live).
   */
  eventStarted(camera: string, startMs?: number): void {
    const gate = this.gates.get(camera);
    if (!gate) return;
    const stream = this.onDemand.get(camera);
    if (stream && !this.unsubscribe.has(camera)) {
      // Running already (watched, or within its idle grace after the last event): no start, so no pre-roll from
      // the edge; the current group of pictures at least, from the hub's own track.
      const running = stream.state === 'online';
      if (startMs !== undefined && !running) {
        const preRollMs = this.options.preRollMs?.(camera) ?? DEFAULT_PRE_ROLL_MS;
        this.preRollFrom.get(camera)?.(startMs - preRollMs);
      }
      this.unsubscribe.set(camera, stream.subscribeVideo(gate));
      const native = stream.native;
      if (running && (native === 'h264' || native === 'h265')) stream.catchUp(gate, native);
    }
    gate.eventStarted();
  }

  /** An event ended at `endMs`: a camera recorded around events stops `postRollMs` after it. */
  eventEnded(camera: string, endMs: number, postRollMs: number): void {
    this.gates.get(camera)?.eventEnded(endMs, postRollMs);
  }

  /** Recordings events' clips cover are kept events_retain_days (retention.ts): the spans, from src/events. */
  keepForEvents(spans: NonNullable<RetentionDeps['keep']>): void {
    this.keepSpans = spans;
  }

  /**
   * Records a camera added while the server runs: one an edge publishes, when its publisher's
   * config says `record`. An edge back after a while records on under the same id and folder.
   */
  attach(camera: CameraStream, record: CameraRecordConfig, preRollFrom?: (from: number) => void): void {
    if (this.closed || this.recorders.has(camera.id)) return;
    this.recorded.set(camera.id, record);
    if (preRollFrom) this.preRollFrom.set(camera.id, preRollFrom);
    this.startRecorder(camera, true);
    this.log.info({ camera: camera.id }, 'recording: camera added');
  }

  /**
   * Stops recording a camera that goes away (an edge withdrew it): its segment ends, a gap 'offline'
   * says why, and its recordings stay.
   */
  async detach(id: string, reason: string): Promise<void> {
    const recorder = this.recorders.get(id);
    if (!recorder) return;
    this.recorders.delete(id);
    this.gates.delete(id);
    this.onDemand.delete(id);
    this.preRollFrom.delete(id);
    this.unsubscribe.get(id)?.();
    this.unsubscribe.delete(id);
    // Out of the map at once (the camera is gone), but close() still waits for its last writes.
    const removed = recorder.remove(reason);
    this.detaching.add(removed);
    try {
      await removed;
    } finally {
      this.detaching.delete(removed);
    }
    this.log.info({ camera: id }, 'recording: camera removed');
  }

  /** Opens (creating, repairing) the index; on a disk problem, retries with backoff. */
  private async openIndex(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true, mode: 0o750 });
      const { db, fresh } = openIndex(this.root, this.log);
      try {
        this.repairReport = await repairStore(this.root, db, fresh, this.log);
      } catch (err) {
        db.close();
        throw err;
      }
      this.index = db;
      this.indexIno = statSync(join(this.root, INDEX_FILE)).ino;
      if (this.indexProblem) this.log.info({ path: this.root }, 'recording: the index is open again');
      this.indexProblem = undefined;
      this.reopenBackoff.reset();
    } catch (err) {
      const problem = classifyError(err);
      const message = describeProblem(problem, err);
      this.storeErrors[problem] = (this.storeErrors[problem] ?? 0) + 1;
      if (this.indexProblem?.problem !== problem) {
        this.log.error({ path: this.root, err, reason: problem }, `recording: cannot open the store: ${message}`);
      }
      this.indexProblem = { problem, message, err, since: this.indexProblem?.since ?? Date.now() };
      if (!this.closed) {
        this.reopenTimer = setTimeout(() => void this.openIndex(), this.reopenBackoff.next());
        this.reopenTimer.unref();
      }
    }
  }

  /** RecorderHost: the index, or the reason it is not open. */
  db(): IndexDb {
    if (this.index) return this.index;
    const p = this.indexProblem;
    throw p ? p.err : Object.assign(new Error('the recordings index is not open'), { code: 'EIO' });
  }

  beforeOpen(): Promise<void> {
    return this.checkIndexFile();
  }

  segmentClosed(camera: string, bytes: number): void {
    this.retention.added(camera, bytes);
    void this.runRetention();
  }

  diskProblem(_camera: string, problem: DiskProblem): void {
    // A full disk may be ours: retention frees what min_free allows.
    if (problem === 'disk-full') void this.runRetention();
    if (problem === 'missing') void this.checkIndexFile();
  }

  /**
   * The folder was removed or unmounted, and is back (mounted again): the index open is the old
   * one, so it is opened again (rebuilt from the files when it is not there).
   */
  private async checkIndexFile(): Promise<void> {
    if (!this.index || this.closed) return;
    try {
      const s = await stat(join(this.root, INDEX_FILE));
      if (s.ino === this.indexIno) return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') return;
      try {
        await stat(this.root);
      } catch {
        return; // still gone: the recorders report it and retry
      }
    }
    if (!this.index) return;
    this.log.warn({ path: this.root }, 'recording: the recordings folder was replaced; opening its index again');
    this.index.close();
    this.index = undefined;
    this.retention.invalidate();
    await this.openIndex();
  }

  private async runRetention(): Promise<void> {
    await this.checkIndexFile();
    if (!this.index || this.closed) return;
    try {
      await this.retention.run();
    } catch (err) {
      this.log.warn({ err }, 'recording: retention failed');
    }
  }

  /** Runs retention now (tests). */
  async enforceRetention(): Promise<void> {
    await this.runRetention();
  }

  private inside(file: string): string | undefined {
    const path = resolve(this.root, file);
    const rel = relative(this.root, path);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? path : undefined;
  }

  segments(camera: string, startMs: number, endMs: number): SegmentRecord[] {
    if (!this.index) return [];
    const rows: SegmentRow[] = this.index.segments(camera, startMs, endMs);
    const open = this.recorders.get(camera)?.openSegment();
    const out: SegmentRecord[] = [];
    for (const row of rows) {
      const file = this.inside(row.file);
      if (!file) continue;
      if (row.open) {
        // Only the segment being written now is open; its progress is in memory.
        if (!open || open.id !== row.id) continue;
        if (!(open.writtenEndMs > startMs && open.startMs < endMs)) continue;
        out.push({ ...row, file, endMs: Math.floor(open.writtenEndMs), bytes: open.writtenBytes, open: true });
      } else {
        out.push({ ...row, file });
      }
    }
    // An open segment whose row says end = start is found by start time alone.
    if (open && open.id !== undefined && !out.some((s) => s.id === open.id)) {
      const end = Math.floor(open.writtenEndMs);
      const file = this.inside(open.file);
      if (file && end > startMs && open.startMs < endMs) {
        const c = open.config;
        out.push({
          id: open.id,
          camera,
          file,
          startMs: open.startMs,
          endMs: end,
          bytes: open.writtenBytes,
          width: c.width,
          height: c.height,
          codecString: c.codecString,
          open: true,
        });
        out.sort((a, b) => a.startMs - b.startMs);
      }
    }
    return out;
  }

  gaps(camera: string, startMs: number, endMs: number): GapRecord[] {
    const out: GapRecord[] = this.index ? this.index.gaps(camera, startMs, endMs) : [];
    const current = this.recorders.get(camera)?.currentGap(Date.now());
    if (current && current.endMs > startMs && current.startMs < endMs) out.push(current as GapRow);
    return out;
  }

  cameras(): string[] {
    const ids = new Set<string>(this.index ? this.index.cameras() : []);
    for (const id of this.recorders.keys()) ids.add(id);
    return [...ids].sort();
  }

  status(camera: string): RecordingStatus | undefined {
    if (!this.recorded.has(camera)) return undefined;
    const recorder = this.recorders.get(camera);
    const problem = this.indexProblem;
    if (problem) return { enabled: true, state: 'error', error: problem.message, since: problem.since };
    return recorder?.status() ?? { enabled: true, state: 'waiting', since: Date.now() };
  }

  /** camrelay_recording_* series, read when scraped (metrics.ts). */
  addMetrics(register: Registry): void {
    addRecordingMetrics(register, {
      recorders: this.recorders,
      storeErrors: this.storeErrors,
      retention: this.retention,
      gates: this.gates,
      root: this.root,
      status: (camera) => this.status(camera),
    });
  }

  /** Ends every open segment cleanly (index rows updated), stops the timers, closes the index. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.retentionTimer);
    clearTimeout(this.reopenTimer);
    for (const unsubscribe of this.unsubscribe.values()) unsubscribe();
    this.unsubscribe.clear();
    await Promise.all([...[...this.recorders.values()].map((r) => r.close()), ...this.detaching]);
    this.index?.close();
    this.index = undefined;
  }
}
