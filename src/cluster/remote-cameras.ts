/**
 * The other hubs' cameras in this hub's registry: one CameraStream (kind `remote`) per camera the
 * catalogue lists and this hub does not have itself, with a PullSource, so that every output (ws, MJPEG,
 * snapshots, /video, recordings) serves it like a local camera. A camera no hub lists any more is removed
 * once nobody watches it (checked every sweep), so no viewer is left on a camera that no longer exists.
 * A camera of this hub's own (an edge that failed over here) takes the id over: the registry drops the
 * remote one (src/hub/registry.ts).
 */
import type { Logger } from 'pino';
import type { CameraStream } from '../hub/camera-stream.js';
import type { CameraRegistry } from '../hub/registry.js';
import type { FrameSource } from '../sources/source.js';
import type { Catalogue } from './catalogue.js';
import { PullSource, type PullContext } from './pull-source.js';

/** How a remote camera is built (the server's camera factory, src/server/cameras.ts). */
export interface RemoteCameraFactory {
  remote(
    camera: { id: string; name: string; expectedSize?: { width: number; height: number } },
    source: FrameSource,
  ): CameraStream;
}

export interface RemoteCamera {
  readonly stream: CameraStream;
  readonly source: PullSource;
}

export const REMOTE_KIND = 'remote';

/** This hub's recording store, for the cameras other hubs name it to record (`record: { on: <this hub> }`). */
export interface ClusterRecorder {
  attach(stream: CameraStream, record: { retainDays: number; retainBytes?: number }): void;
  detach(id: string, reason: string): void;
}

export class RemoteCameras {
  private readonly cameras = new Map<string, RemoteCamera>();
  /** The remote cameras this hub records. */
  private readonly recorded = new Set<string>();
  recorder: ClusterRecorder | undefined;

  constructor(
    private readonly registry: CameraRegistry,
    private readonly factory: RemoteCameraFactory,
    private readonly catalogue: Catalogue,
    private readonly context: PullContext,
    private readonly log: Logger,
  ) {}

  all(): RemoteCamera[] {
    return [...this.cameras.values()];
  }

  get(id: string): RemoteCamera | undefined {
    return this.cameras.get(id);
  }

  /**
   * Follows the catalogue: new cameras added, moved ones re-pulled, gone ones removed when unwatched.
   * `changed`: the catalogue changed (a hub joined, came back, moved a camera): offline pulls retry now
   * rather than after their backoff.
   */
  sync(changed = false): void {
    for (const [id, camera] of this.cameras) {
      // Taken over by a camera of this hub's own.
      if (this.registry.get(id) !== camera.stream) {
        this.cameras.delete(id);
        this.stopRecording(id, 'the camera is on this hub now');
        void camera.source.stop();
        this.log.info({ camera: id }, 'cluster: remote camera replaced by one of this hub');
      }
    }
    for (const id of this.catalogue.cameraIds()) {
      if (this.cameras.has(id) || this.registry.get(id)) continue;
      const place = this.catalogue.place(id);
      if (!place) continue;
      const c = place.camera;
      const source = new PullSource(id, this.context, this.log);
      const stream = this.factory.remote(
        { id, name: c.name, ...(c.width && c.height ? { expectedSize: { width: c.width, height: c.height } } : {}) },
        source,
      );
      this.cameras.set(id, { stream, source });
      this.registry.add(stream);
      this.log.info({ camera: id, owner: place.owner }, 'cluster: remote camera added');
    }
    const listed = this.catalogue.cameraIds();
    for (const [id, camera] of this.cameras) {
      if (listed.has(id)) {
        this.recordIfNamed(id, camera);
        camera.source.recheck();
        // Moved (an edge that failed over), or its hub is back: pulled again now, not after the backoff.
        if (
          changed &&
          !camera.source.from &&
          camera.stream.state === 'offline' &&
          this.context.connection() &&
          this.catalogue.place(id)?.reachable
        )
          camera.stream.retryNow();
      } else if (camera.stream.watcherCount === 0) {
        this.cameras.delete(id);
        this.stopRecording(id, 'no hub lists it');
        this.registry.remove(id);
        void camera.stream.close();
        this.log.info({ camera: id }, 'cluster: remote camera removed (no hub lists it)');
      }
    }
  }

  /** Records the camera while its owner names this hub to (`record: { on: <this hub> }`). */
  private recordIfNamed(id: string, camera: RemoteCamera): void {
    const listed = this.catalogue.place(id)?.camera;
    const named = listed?.recordOn === this.context.self && listed.record;
    if (named && !this.recorded.has(id) && this.recorder) {
      this.recorded.add(id);
      this.recorder.attach(camera.stream, listed.record!);
    } else if (!named && this.recorded.has(id)) {
      this.stopRecording(id, 'its hub no longer names this hub to record it');
    }
  }

  private stopRecording(id: string, reason: string): void {
    if (this.recorded.delete(id)) this.recorder?.detach(id, reason);
  }

  busLost(): void {
    for (const camera of this.cameras.values()) camera.source.busLost();
  }

  close(): void {
    this.cameras.clear();
  }
}
