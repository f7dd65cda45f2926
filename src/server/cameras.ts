/** Builds the hub's camera streams from the settled config. */
import type { Logger } from 'pino';
import type { CameraConfig } from '../config/schema.js';
import { CameraStream } from '../hub/camera-stream.js';
import { CameraRegistry } from '../hub/registry.js';
import { FfmpegSource } from '../sources/ffmpeg/ffmpeg-source.js';
import { renderPlaceholder } from '../sources/ffmpeg/placeholder.js';

/** Largest JPEG accepted from a camera. */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;

export function createCameraStream(camera: CameraConfig, log: Logger): CameraStream {
  const source = new FfmpegSource(
    camera.id,
    camera.spec,
    { quality: camera.quality, passthrough: camera.passthrough, maxFrameBytes: MAX_FRAME_BYTES },
    log,
  );
  const spec = camera.spec;
  const expectedSize =
    'width' in spec && spec.width && spec.height ? { width: spec.width, height: spec.height } : undefined;
  return new CameraStream(
    {
      id: camera.id,
      name: camera.name,
      kind: spec.kind,
      alwaysOn: camera.alwaysOn,
      idleGraceMs: camera.idleGraceMs,
      stallTimeoutMs: camera.stallTimeoutMs,
      snapshotTimeoutMs: camera.snapshotTimeoutMs,
      expectedSize,
    },
    source,
    renderPlaceholder,
    log,
  );
}

export function createRegistry(cameras: CameraConfig[], log: Logger): CameraRegistry {
  const registry = new CameraRegistry();
  for (const camera of cameras) registry.add(createCameraStream(camera, log));
  return registry;
}
