import type { CameraStream } from '../../hub/camera-stream.js';
import type { Frame } from '../../hub/frame.js';

/**
 * The frame a new viewer may be shown at once: the latest one, unless the
 * camera is (re)starting from idle, when the latest is left over from an
 * earlier run and may be hours old.
 */
export function currentFrame(camera: CameraStream): Frame | undefined {
  return camera.state === 'online' || camera.state === 'offline' ? camera.latest : undefined;
}
