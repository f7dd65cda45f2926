/**
 * The cameras edges publish to this hub, and their lifetimes. Each is an ordinary CameraStream (kind
 * `relay`, id `<edge>.<camera>`, built by the server's camera factory) in the server's registry, so every
 * output serves it like a local one; its source is a RemoteSource bound to the edge's current connection.
 * - A camera appears at its first announce; an announce from a new connection withdraws the edge's
 *   cameras it leaves out.
 * - When the edge's connection ends, its cameras show offline for its `offlineGraceMs`; those it has not
 *   announced again by then are withdrawn.
 * - Withdrawn: removed at once when nobody watches it; otherwise it shows offline and is removed when its
 *   last viewer leaves (checked every few seconds), so no viewer is ever left on a camera that no longer
 *   exists. Announcing it again before then brings it back.
 */
import type { Logger } from 'pino';
import type { CameraStream } from '../hub/camera-stream.js';
import type { CameraRegistry } from '../hub/registry.js';
import type { TrackConfig } from '../media/index.js';
import type { FrameSource } from '../sources/source.js';
import type { PublishedCameraOptions, PublisherConfig } from './config.js';
import { type AnnouncedCamera } from './messages.js';
import { RemoteSource } from './remote-source.js';
import { UplinkTally } from './uplink-tally.js';
import type { RelayAudio } from './audio-input.js';

export interface PublishedCamera {
  /** `<edge>.<camera>` */
  readonly id: string;
  readonly edge: string;
  readonly stream: CameraStream;
  readonly source: RemoteSource;
  withdrawn: boolean;
  /** The newest H.264 configuration the edge sent (kept across connections: same bytes, same object). */
  h264Config: TrackConfig | undefined;
  /** The newest audio configuration the edge sent (kept across connections likewise). */
  audio: RelayAudio | undefined;
  readonly uplink: UplinkTally;
}

/** What a published camera is built from (its timing: `publishedCameras` in the relay settings). */
export interface PublishedCameraSpec extends PublishedCameraOptions {
  id: string;
  name: string;
  expectedSize?: { width: number; height: number };
}

/** Builds the CameraStream of a published camera (the server's camera factory, src/server/cameras.ts). */
export interface PublishedCameraFactory {
  published(camera: PublishedCameraSpec, source: FrameSource): CameraStream;
}

/** Told of each published camera as it is added and removed (the recording store, for `publishers[].record`). */
export interface PublishedCameraObserver {
  /**
   * `preRollFrom`: the camera's next start asks its edge for its buffered video from that time (this hub's
   * clock) first; see RemoteSource.preRollFrom.
   */
  added(stream: CameraStream, publisher: PublisherConfig, preRollFrom: (from: number) => void): void;
  removed(id: string): void;
}

/** How often withdrawn cameras that still had viewers are checked for removal. */
const SWEEP_MS = 2000;

export class PublishedCameras {
  private readonly cameras = new Map<string, PublishedCamera>();
  /** Per edge: withdraws the cameras of a gone connection once its grace is over. */
  private readonly expiry = new Map<string, NodeJS.Timeout>();
  private sweepTimer: NodeJS.Timeout | undefined;
  observer: PublishedCameraObserver | undefined;

  constructor(
    private readonly registry: CameraRegistry,
    private readonly factory: PublishedCameraFactory,
    private readonly timing: PublishedCameraOptions,
    private readonly log: Logger,
  ) {}

  /** The edge's cameras, in the order they were first announced. */
  of(edge: string): PublishedCamera[] {
    return [...this.cameras.values()].filter((camera) => camera.edge === edge);
  }

  all(): PublishedCamera[] {
    return [...this.cameras.values()];
  }

  /** The camera for an announce, created (and added to the registry) on its first one. */
  publish(publisher: PublisherConfig, announced: AnnouncedCamera): PublishedCamera {
    const edge = publisher.name;
    const id = `${edge}.${announced.id}`;
    let camera = this.cameras.get(id);
    if (!camera) {
      const source = new RemoteSource(edge);
      const size =
        announced.width && announced.height ? { width: announced.width, height: announced.height } : undefined;
      const stream = this.factory.published(
        { id, name: `${announced.name} (${edge})`, ...this.timing, ...(size ? { expectedSize: size } : {}) },
        source,
      );
      camera = {
        id,
        edge,
        stream,
        source,
        withdrawn: false,
        h264Config: undefined,
        audio: undefined,
        uplink: new UplinkTally(),
      };
      this.cameras.set(id, camera);
      this.registry.add(stream);
      this.log.info({ camera: id, edge }, 'published camera added');
      this.observer?.added(stream, publisher, (from) => source.preRollFrom(from));
    }
    camera.withdrawn = false;
    return camera;
  }

  /** A connection of the edge announced `ids`: its cameras left from earlier connections and not among them go. */
  announced(edge: string, ids: ReadonlySet<string>): void {
    for (const camera of this.of(edge)) {
      if (camera.withdrawn || camera.source.bound) continue;
      if (!ids.has(camera.id.slice(edge.length + 1))) this.withdraw(camera, 'not announced again by the edge');
    }
  }

  /** The edge's connection ended: its cameras not announced again within `graceMs` are withdrawn. */
  edgeGone(edge: string, graceMs: number): void {
    clearTimeout(this.expiry.get(edge));
    const timer = setTimeout(() => {
      this.expiry.delete(edge);
      for (const camera of this.of(edge)) {
        if (!camera.withdrawn && !camera.source.bound) this.withdraw(camera, `edge away for ${graceMs / 1000}s`);
      }
    }, graceMs);
    timer.unref();
    this.expiry.set(edge, timer);
  }

  /** The edge withdrew the camera (its link is already unbound). */
  withdrawn(camera: PublishedCamera): void {
    camera.withdrawn = true;
    if (this.removeIfUnwatched(camera)) return;
    this.log.info({ camera: camera.id }, 'published camera withdrawn; removed when its last viewer leaves');
    this.sweepTimer ??= setInterval(() => this.sweep(), SWEEP_MS);
    this.sweepTimer.unref();
  }

  /** Every timer stops. The cameras belong to the registry, which closes them. */
  close(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const timer of this.expiry.values()) clearTimeout(timer);
    this.expiry.clear();
  }

  /** Withdrawn by the hub itself (the edge is gone, or left it out of a new announce). */
  private withdraw(camera: PublishedCamera, reason: string): void {
    this.log.info({ camera: camera.id, edge: camera.edge, reason }, 'published camera withdrawn');
    this.withdrawn(camera);
  }

  private removeIfUnwatched(camera: PublishedCamera): boolean {
    if (camera.stream.watcherCount > 0 || this.cameras.get(camera.id) !== camera) return false;
    this.cameras.delete(camera.id);
    this.observer?.removed(camera.id);
    this.registry.remove(camera.id);
    void camera.stream.close();
    this.log.info({ camera: camera.id }, 'published camera removed');
    return true;
  }

  private sweep(): void {
    let waiting = false;
    for (const camera of this.all()) {
      if (camera.withdrawn && !this.removeIfUnwatched(camera)) waiting = true;
    }
    if (!waiting) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }
}
