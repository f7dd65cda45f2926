/** Which H.264 quality a grid tile plays. Pure: no DOM, tested without a browser. */
import type { Camera } from './api.js';

/**
 * A tile is small: it plays the camera's sub-stream when that costs nothing more: the camera's own, or, for a
 * JPEG camera (which camrelay encodes for H.264 viewers anyway), an encode of a quarter of the pixels instead
 * of the full picture. An H.264 camera
 * without its own sub-stream plays its main stream, passed through: a sub-stream would cost a decode and an
 * encode per camera. The single-camera view keeps the default, auto.
 */
export function tileQuality(camera: Camera): 'sub' | 'main' {
  return camera.substream === 'camera' || camera.substream === 'encoder' ? 'sub' : 'main';
}
