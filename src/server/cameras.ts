/** Builds the hub's camera streams from the settled config. */
import type { Logger } from 'pino';
import type { CameraConfig } from '../config/schema.js';
import { CameraStream } from '../hub/camera-stream.js';
import { CameraRegistry } from '../hub/registry.js';
import { FfmpegSource } from '../sources/ffmpeg/ffmpeg-source.js';
import { renderPlaceholder } from '../sources/ffmpeg/placeholder.js';
import { createTranscoder, type TranscodeOptions } from '../sources/ffmpeg/transcoder.js';
import { defaultBitrate } from '../sources/ffmpeg/encoders.js';
import type { TranscoderFactory } from '../hub/derived-track.js';
import { RUNGS, rungKbps } from '../hub/rungs.js';

/**
 * Transcoders for a camera's derived tracks. Each smaller H.264 stream (rungs.ts) gets its own transcoder (same
 * encoder choice, hardware first), started and stopped on its own: adding an output to the main encoder would
 * mean restarting it, and with it every main viewer's stream (and an extra keyframe for all of them). A rung
 * asks for what the hub measured of the stream above it, held under what this camera's own H.264 would be
 * encoded at (its `bitrate`, or the default for its size), so that it is smaller even before anything is measured.
 */
function transcoderFactory(options: TranscodeOptions, log: Logger): TranscoderFactory {
  return (to, input) => {
    const rung = input.rung;
    if (!rung) return createTranscoder(to, { ...options, from: input.from }, log);
    const { width, height } = rung.size;
    const main = options.bitrate ?? defaultBitrate(width, height, options.fps);
    const shape = RUNGS[rung.quality];
    return createTranscoder(
      to,
      {
        ...options,
        from: input.from,
        maxWidth: shape.maxWidth,
        ...(shape.maxFps ? { maxFps: shape.maxFps } : {}),
        bitrate: Math.min(rung.kbps, rungKbps(rung.quality, { main })),
      },
      log,
    );
  };
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
