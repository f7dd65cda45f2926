/** All cameras of a server, in configuration order (the first one serves the compatibility routes). */
import type { CameraStream } from './camera-stream.js';

export class CameraRegistry {
  private readonly streams = new Map<string, CameraStream>();

  add(stream: CameraStream): void {
    if (this.streams.has(stream.id)) throw new Error(`camera ${stream.id} exists already`);
    this.streams.set(stream.id, stream);
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

  first(): CameraStream | undefined {
    return this.streams.values().next().value;
  }

  async close(): Promise<void> {
    await Promise.all(this.list().map((s) => s.close()));
  }
}
