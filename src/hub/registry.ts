/** All cameras of a server, in configuration order (the first one serves the compatibility routes). */
import type { CameraStream } from './camera-stream.js';
import { ViewerEvents } from './viewer-events.js';

export class CameraRegistry {
  private readonly streams = new Map<string, CameraStream>();
  /** Round trips and departures of every camera's viewers (for /metrics). */
  readonly viewerEvents = new ViewerEvents();

  add(stream: CameraStream): void {
    const old = this.streams.get(stream.id);
    // Another hub's camera (src/cluster) gives way to one of this hub's own: an edge that failed over here.
    if (old && old.kind === 'remote' && stream.kind !== 'remote') {
      this.streams.delete(stream.id);
      void old.close();
    }
    if (this.streams.has(stream.id)) throw new Error(`camera ${stream.id} exists already`);
    this.streams.set(stream.id, stream);
    stream.viewerEvents = this.viewerEvents;
  }

  /** Takes a camera out (cameras published by an edge come and go); the caller closes it. */
  remove(id: string): CameraStream | undefined {
    const stream = this.streams.get(id);
    this.streams.delete(id);
    return stream;
  }

  get(id: string): CameraStream | undefined {
    return this.streams.get(id);
  }

  list(): CameraStream[] {
    return [...this.streams.values()];
  }

  /**
   * Camera N of mjpg-streamer's numbering (`?action=stream_N`): this server's
   * own cameras first, in configuration order, then cameras relayed from
   * edges and other hubs' cameras. Those coming and going never move the server's own.
   */
  byNumber(index: number): CameraStream | undefined {
    const all = this.list();
    // Other hubs' cameras (src/cluster, kind `remote`) come and go too: after this server's own.
    const visiting = (s: CameraStream) => s.kind === 'relay' || s.kind === 'remote';
    return [...all.filter((s) => !visiting(s)), ...all.filter(visiting)][index];
  }

  first(): CameraStream | undefined {
    return this.streams.values().next().value;
  }

  async close(): Promise<void> {
    await Promise.all(this.list().map((s) => s.close()));
  }
}
