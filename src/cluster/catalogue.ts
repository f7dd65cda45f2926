/**
 * The cluster's catalogue: every hub's cameras, from the hubs' heartbeats. Each hub publishes its part
 * (its own cameras and its edges', the cameras it pulls, what it publishes for others) on
 * `camrelay.hub.<name>` every heartbeat; every hub keeps the latest of each. A hub not heard from for
 * three heartbeats is unreachable (killed, or on the other side of a partition): its cameras stay listed
 * as unreachable for a while, then are forgotten. Heartbeats need nothing of NATS but core publish and
 * subscribe, so a 2.9 server does (per-key TTLs in a key-value bucket need 2.11).
 */
import { CAMERA_ID, SERVED_CAMERA_ID } from '../camera-id.js';
import type { Parsed } from '../wire/json.js';

/** A camera as its owner describes it in its heartbeat. */
export interface CatalogueCamera {
  id: string;
  name: string;
  /** The owner's kind: testsrc, rtsp, relay (an edge's), … */
  kind: string;
  state: string;
  codec: string | null;
  width: number | null;
  height: number | null;
  /** Since when (ms since the Unix epoch) this hub has had it: the newest claim wins a camera two hubs list. */
  since: number;
  /** The hub that records it when it is not the owner (`record: { on: hub }`), and how long it keeps it. */
  recordOn?: string;
  record?: { retainDays: number; retainBytes?: number };
}

/** What one hub publishes of itself, each heartbeat. */
export interface HubBeat {
  v: 1;
  hub: string;
  startedAt: number;
  cameras: CatalogueCamera[];
  /** Cameras of other hubs this hub pulls now. */
  pulls: string[];
  /** Cameras this hub publishes on the bus now, with the hubs that want them and the bytes sent so far. */
  publishes: { camera: string; hubs: string[]; bytes: number; units: number }[];
}

export interface HubEntry {
  beat: HubBeat;
  lastSeen: number;
  reachable: boolean;
}

/** Past this, a heartbeat is refused (it would be a hub with thousands of cameras). */
export const MAX_BEAT_BYTES = 512 * 1024;
const MAX_CAMERAS = 4096;
/** Heartbeats missed before a hub is unreachable. */
const MISSED_BEATS = 3;
/** How long an unreachable hub's cameras stay listed (as unreachable) before they are forgotten. */
export const FORGET_AFTER_MS = 60_000;

const str = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const sizeOrNull = (v: unknown) => v === null || (num(v) && Number.isInteger(v) && v >= 1 && v <= 16384);

/** A heartbeat as received, checked field by field (another hub's bytes are untrusted). */
export function parseBeat(bytes: Uint8Array): Parsed<HubBeat> {
  if (bytes.length > MAX_BEAT_BYTES) return { ok: false, reason: `heartbeat of ${bytes.length} bytes` };
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch {
    return { ok: false, reason: 'heartbeat is not JSON' };
  }
  const b = v as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || b.v !== 1) return { ok: false, reason: 'not a version 1 heartbeat' };
  if (!str(b.hub, 64) || !CAMERA_ID.test(b.hub)) return { ok: false, reason: 'heartbeat without a valid hub name' };
  if (!num(b.startedAt)) return { ok: false, reason: 'heartbeat without startedAt' };
  if (!Array.isArray(b.cameras) || b.cameras.length > MAX_CAMERAS) return { ok: false, reason: 'heartbeat cameras' };
  if (!Array.isArray(b.pulls) || b.pulls.length > MAX_CAMERAS) return { ok: false, reason: 'heartbeat pulls' };
  if (!Array.isArray(b.publishes) || b.publishes.length > MAX_CAMERAS)
    return { ok: false, reason: 'heartbeat publishes' };
  const cameras: CatalogueCamera[] = [];
  for (const raw of b.cameras as unknown[]) {
    const c = raw as Record<string, unknown>;
    if (typeof raw !== 'object' || raw === null) return { ok: false, reason: 'heartbeat camera is not an object' };
    if (!str(c.id, 129) || !SERVED_CAMERA_ID.test(c.id)) return { ok: false, reason: 'heartbeat camera id' };
    if (!str(c.name, 400) || !str(c.kind, 32) || !str(c.state, 32) || !num(c.since))
      return { ok: false, reason: `heartbeat camera ${c.id}` };
    if (!(c.codec === null || str(c.codec, 16)) || !sizeOrNull(c.width) || !sizeOrNull(c.height))
      return { ok: false, reason: `heartbeat camera ${c.id}` };
    if (c.recordOn !== undefined && !(str(c.recordOn, 64) && CAMERA_ID.test(c.recordOn)))
      return { ok: false, reason: `heartbeat camera ${c.id} recordOn` };
    const r = c.record as Record<string, unknown> | undefined;
    if (
      r !== undefined &&
      (typeof r !== 'object' ||
        r === null ||
        !num(r.retainDays) ||
        r.retainDays <= 0 ||
        (r.retainBytes !== undefined && (!num(r.retainBytes) || r.retainBytes < 0)))
    )
      return { ok: false, reason: `heartbeat camera ${c.id} record` };
    cameras.push({
      id: c.id,
      name: c.name,
      kind: c.kind,
      state: c.state,
      codec: c.codec as string | null,
      width: c.width as number | null,
      height: c.height as number | null,
      since: c.since,
      ...(c.recordOn !== undefined ? { recordOn: c.recordOn as string } : {}),
      ...(r !== undefined
        ? {
            record: {
              retainDays: r.retainDays as number,
              ...(r.retainBytes !== undefined ? { retainBytes: r.retainBytes as number } : {}),
            },
          }
        : {}),
    });
  }
  const ids = (list: unknown[]) => list.every((id) => str(id, 129) && SERVED_CAMERA_ID.test(id));
  if (!ids(b.pulls as unknown[])) return { ok: false, reason: 'heartbeat pulls' };
  const publishes: HubBeat['publishes'] = [];
  for (const raw of b.publishes as unknown[]) {
    const p = raw as Record<string, unknown>;
    if (typeof raw !== 'object' || raw === null || !str(p.camera, 129) || !SERVED_CAMERA_ID.test(p.camera))
      return { ok: false, reason: 'heartbeat publishes' };
    if (!Array.isArray(p.hubs) || p.hubs.length > 1024 || !p.hubs.every((h) => str(h, 64) && CAMERA_ID.test(h)))
      return { ok: false, reason: 'heartbeat publishes hubs' };
    if (!num(p.bytes) || !num(p.units)) return { ok: false, reason: 'heartbeat publishes counters' };
    publishes.push({ camera: p.camera, hubs: p.hubs as string[], bytes: p.bytes, units: p.units });
  }
  return {
    ok: true,
    message: { v: 1, hub: b.hub, startedAt: b.startedAt, cameras, pulls: b.pulls as string[], publishes },
  };
}

/** Where a camera lives, as the catalogue knows it. */
export interface Placement {
  owner: string;
  camera: CatalogueCamera;
  reachable: boolean;
  /** The owner's run: a new one (the hub restarted) starts its sequence numbers afresh. */
  ownerStartedAt: number;
}

export class Catalogue {
  private readonly hubs = new Map<string, HubEntry>();

  constructor(
    readonly self: string,
    private readonly heartbeatMs: number,
    private readonly changed: () => void,
    /** Told when a hub joins, comes back, goes silent or is forgotten (for the log). */
    private readonly reachability: (
      hub: string,
      event: 'joined' | 'reachable' | 'unreachable' | 'forgotten',
    ) => void = () => {},
  ) {}

  /** A heartbeat from another hub (this hub's own are not kept: the registry is the truth for those). */
  heard(beat: HubBeat, now = Date.now()): void {
    if (beat.hub === this.self) return;
    const before = this.hubs.get(beat.hub);
    this.hubs.set(beat.hub, { beat, lastSeen: now, reachable: true });
    if (!before) this.reachability(beat.hub, 'joined');
    else if (!before.reachable) this.reachability(beat.hub, 'reachable');
    if (!before || !before.reachable || before.beat.startedAt !== beat.startedAt || cameraSetChanged(before.beat, beat))
      this.changed();
  }

  /** Marks hubs silent too long unreachable, forgets those silent for FORGET_AFTER_MS. */
  sweep(now = Date.now()): void {
    let changed = false;
    for (const [name, entry] of this.hubs) {
      const silent = now - entry.lastSeen;
      if (silent > FORGET_AFTER_MS) {
        this.hubs.delete(name);
        changed = true;
        this.reachability(name, 'forgotten');
      } else if (entry.reachable && silent > this.heartbeatMs * MISSED_BEATS) {
        entry.reachable = false;
        changed = true;
        this.reachability(name, 'unreachable');
      }
    }
    if (changed) this.changed();
  }

  /** Every other hub heard from within FORGET_AFTER_MS. */
  entries(): HubEntry[] {
    return [...this.hubs.values()];
  }

  /**
   * Where camera `id` lives among the other hubs: the reachable hub that listed it last (an edge that moved
   * hubs is listed by the new one from the moment it arrived), else the unreachable one that last had it.
   */
  place(id: string): Placement | undefined {
    let best: Placement | undefined;
    for (const entry of this.hubs.values()) {
      const camera = entry.beat.cameras.find((c) => c.id === id);
      if (!camera) continue;
      const candidate = {
        owner: entry.beat.hub,
        camera,
        reachable: entry.reachable,
        ownerStartedAt: entry.beat.startedAt,
      };
      if (
        !best ||
        (candidate.reachable && !best.reachable) ||
        (candidate.reachable === best.reachable && camera.since > best.camera.since)
      )
        best = candidate;
    }
    return best;
  }

  /** Every camera id another hub lists. */
  cameraIds(): Set<string> {
    const ids = new Set<string>();
    for (const entry of this.hubs.values()) for (const c of entry.beat.cameras) ids.add(c.id);
    return ids;
  }
}

function cameraSetChanged(a: HubBeat, b: HubBeat): boolean {
  if (a.cameras.length !== b.cameras.length) return true;
  return a.cameras.some((c, i) => c.id !== b.cameras[i]!.id || c.since !== b.cameras[i]!.since);
}
