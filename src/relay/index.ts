/**
 * Cross-network viewing, the one entry point of src/relay: an edge behind NAT
 * publishes its cameras to a hub over one outbound WebSocket; the hub serves
 * them to viewers like its own cameras. See README.md here and the
 * "Publisher protocol" in docs/protocol.md.
 *
 * - `Relay` + `relayRoutes`: wired into every server by server/app.ts (hub
 *   routes always; the edge side when the config has `publish:`).
 * - `runPublish`: `camrelay publish`, an edge without an HTTP server.
 * - `hashTokenCommand`: `camrelay hash-token`.
 */
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/schema.js';
import type { CameraRegistry } from '../hub/registry.js';
import { MAX_VIEWER_MESSAGE_BYTES } from '../outputs/viewer-message-limit.js';
import { DEFAULT_MAX_FRAME_BYTES, RELAY_HEADER_BYTES } from './protocol.js';
import { EdgePublisher, nominalFps } from './edge.js';
import { RelayHub } from './hub.js';

export { relayRoutes } from './hub-endpoint.js';
export { hashTokenCommand, publishCommand, runPublish } from './commands.js';
export { EdgePublisher, nominalFps } from './edge.js';
export { RelayHub } from './hub.js';

/** Both sides of the relay for one server: the hub always, the edge when configured. */
export class Relay {
  readonly hub: RelayHub;
  readonly edge: EdgePublisher | undefined;

  constructor(config: ServerConfig, registry: CameraRegistry, log: Logger) {
    this.hub = new RelayHub(registry, config.publishers ?? [], log, config.publishedCameras);
    this.edge = config.publish
      ? new EdgePublisher(registry, config.publish, log.child({ relay: 'edge' }), { fps: nominalFps(config.cameras) })
      : undefined;
  }

  start(): void {
    this.edge?.start();
  }

  async close(): Promise<void> {
    this.hub.close();
    await this.edge?.close();
  }
}

/**
 * The server-wide WebSocket message limit: the biggest publisher frame plus
 * its header. Viewer endpoints enforce their own 4 KiB themselves.
 */
export function relayMaxPayload(config: ServerConfig): number {
  const frames = (config.publishers ?? []).map((p) => p.maxFrameBytes);
  return Math.max(MAX_VIEWER_MESSAGE_BYTES, DEFAULT_MAX_FRAME_BYTES, ...frames) + RELAY_HEADER_BYTES;
}
