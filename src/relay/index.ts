/**
 * Cross-network viewing, the one entry point of src/relay: an edge behind NAT
 * publishes its cameras to a hub over one outbound WebSocket; the hub serves
 * them to viewers like its own cameras. See README.md here and the
 * "Publisher protocol" in docs/protocol.md.
 *
 * - `Relay` + `relayRoutes`: wired into every server by server/app.ts (hub
 *   routes always; the edge side when the config has `publish:`).
 */
import type { Logger } from 'pino';
import type { CameraRegistry } from '../hub/registry.js';
import { MAX_VIEWER_MESSAGE_BYTES } from '../wire/constants.js';
import type { RelaySettings } from './config.js';
import { DEFAULT_MAX_FRAME_BYTES, RELAY_HEADER_BYTES } from './protocol.js';
import { EdgePublisher, motionCameras, nominalFps } from './edge-publisher.js';
import { Publishers, type PublishedCameraFactory } from './publishers.js';

export { relayRoutes } from './publish-endpoint.js';
export { EdgePublisher, motionCameras, nominalFps } from './edge-publisher.js';
export { Publishers, type EdgeEventListener, type EventMessage, type PublishedCameraFactory } from './publishers.js';

/** Both sides of the relay for one server: the hub always, the edge when configured. */
export class Relay {
  /** The hub side: the edges that may publish here, their connections and cameras. */
  readonly publishers: Publishers;
  readonly edge: EdgePublisher | undefined;

  /** `cameras`: builds the cameras edges publish (the server's camera factory). */
  constructor(config: RelaySettings, registry: CameraRegistry, cameras: PublishedCameraFactory, log: Logger) {
    this.publishers = new Publishers(registry, cameras, config.publishers ?? [], log, config.publishedCameras);
    this.edge = config.publish
      ? new EdgePublisher(registry, config.publish, log.child({ relay: 'edge' }), {
          fps: nominalFps(config.cameras),
          motion: motionCameras(config.cameras),
        })
      : undefined;
  }

  start(): void {
    this.edge?.start();
  }

  async close(): Promise<void> {
    this.publishers.close();
    await this.edge?.close();
  }
}

/**
 * The server-wide WebSocket message limit: the biggest publisher frame plus
 * its header. Viewer endpoints enforce their own 4 KiB themselves.
 */
export function relayMaxPayload(config: Pick<RelaySettings, 'publishers'>): number {
  const frames = (config.publishers ?? []).map((p) => p.maxFrameBytes);
  return Math.max(MAX_VIEWER_MESSAGE_BYTES, DEFAULT_MAX_FRAME_BYTES, ...frames) + RELAY_HEADER_BYTES;
}
