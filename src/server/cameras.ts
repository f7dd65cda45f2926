/** Builds the hub's camera streams from the settled config. */
import type { Logger } from 'pino';
import type { CameraConfig } from '../config/schema.js';
import { CameraStream } from '../hub/camera-stream.js';
import { CameraRegistry } from '../hub/registry.js';
import { FfmpegSource } from '../sources/ffmpeg/ffmpeg-source.js';
import { renderPlaceholder } from '../ffmpeg/placeholder.js';
import { createTranscoder, type TranscodeOptions } from '../ffmpeg/transcoder.js';
import type { TranscoderFactory } from '../hub/derived-track.js';

/** The H.264 sub-stream camrelay makes: at most this wide (the aspect kept), at about this many kbit/s. */
export const SUB_WIDTH = 640;
export const SUB_KBPS = 400;

/**
 * Transcoders for a camera's derived tracks. The sub-stream gets its own transcoder (same encoder choice,
 * hardware first), started and stopped on its own: adding an output to the main encoder would mean restarting
 * it, and with it every main viewer's stream (and an extra keyframe for all of them).
 */
function transcoderFactory(options: TranscodeOptions, log: Logger): TranscoderFactory {
  return (to, input) =>
    createTranscoder(
      to,
      input.sub
        ? { ...options, from: input.from, maxWidth: SUB_WIDTH, bitrate: SUB_KBPS }
        : { ...options, from: input.from },
      log,
    );
}

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
      // One per camera and derived track, running only while that track has consumers.
      transcoders: transcoderFactory(transcodeOptions(camera), log),
      ...(camera.substream
        ? {
            substream: new FfmpegSource(
              `${camera.id}-sub`,
              camera.substream.spec,
              { quality: camera.quality, passthrough: camera.passthrough, maxFrameBytes: MAX_FRAME_BYTES },
              log,
            ),
          }
        : {}),
    },
    source,
    renderPlaceholder,
    log,
  );
}

/** How this camera's derived tracks are made: its JPEG quality, its H.264 encoder settings. */
function transcodeOptions(camera: CameraConfig): TranscodeOptions {
  const spec = camera.spec;
  return {
    label: camera.id,
    quality: camera.quality,
    maxUnitBytes: MAX_FRAME_BYTES,
    encoder: camera.encoder,
    keyframeInterval: camera.keyframeInterval,
    ...(camera.bitrate !== undefined ? { bitrate: camera.bitrate } : {}),
    ...('fps' in spec && spec.fps ? { fps: spec.fps } : {}),
  };
}

export function createRegistry(cameras: CameraConfig[], log: Logger): CameraRegistry {
  // Cameras an edge publishes get the default settings (this server's own have their quality).
  const registry = new CameraRegistry((id) => transcoderFactory({ label: id, maxUnitBytes: MAX_FRAME_BYTES }, log));
  for (const camera of cameras) registry.add(createCameraStream(camera, log));
  return registry;
}
