/** Builds the server's cameras: its own from the settled config, and those edges publish to it. */
import type { Logger } from 'pino';
import type { CameraConfig } from '../config/schema.js';
import { CameraStream } from '../hub/camera-stream.js';
import { CameraRegistry } from '../hub/registry.js';
import { FfmpegSource } from '../sources/ffmpeg/ffmpeg-source.js';
import { renderPlaceholder } from '../ffmpeg/placeholder.js';
import { createTranscoder, type TranscodeOptions } from '../ffmpeg/transcoder.js';
import { defaultBitrate } from '../ffmpeg/encoders.js';
import type { TranscoderFactory } from '../hub/derived-track.js';
import type { PublishedCameraFactory, PublishedCameraSpec } from '../relay/published-cameras.js';
import type { RemoteCameraFactory } from '../cluster/index.js';
import type { FrameSource } from '../sources/source.js';
import { RUNGS, rungKbps } from '../hub/rungs.js';
import { TranscoderSlots } from '../hub/transcoder-slots.js';

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

/**
 * The one place cameras are built, this server's own and those edges publish to it: each a CameraStream with
 * the placeholder renderer and the transcoders of its derived tracks (one per camera and track, running only
 * while that track has consumers). Every camera it builds takes its transcoders from the same hub-wide
 * `slots` (limits.transcoders): edges' cameras from the edges' share of them.
 */
export class CameraFactory implements PublishedCameraFactory, RemoteCameraFactory {
  constructor(
    private readonly log: Logger,
    readonly slots = new TranscoderSlots(),
  ) {}

  /** A camera of this server's config: captured by ffmpeg, its own sub-stream too when it has one. */
  local(camera: CameraConfig): CameraStream {
    const capture = {
      quality: camera.quality,
      passthrough: camera.passthrough,
      maxFrameBytes: MAX_FRAME_BYTES,
      audio: camera.audio,
    };
    const spec = camera.spec;
    const expectedSize =
      'width' in spec && spec.width && spec.height ? { width: spec.width, height: spec.height } : undefined;
    const substream = camera.substream
      ? {
          substream: new FfmpegSource(
            `${camera.id}-sub`,
            camera.substream.spec,
            { ...capture, audio: false },
            this.log,
          ),
        }
      : {};
    return new CameraStream(
      {
        id: camera.id,
        name: camera.name,
        kind: spec.kind,
        alwaysOn: camera.alwaysOn,
        idleGraceMs: camera.idleGraceMs,
        stallTimeoutMs: camera.stallTimeoutMs,
        snapshotTimeoutMs: camera.snapshotTimeoutMs,
        ...(expectedSize ? { expectedSize } : {}),
        transcoders: transcoderFactory(transcodeOptions(camera), this.log),
        transcoderPool: this.slots.pool('own'),
        audio: camera.audio,
        ...substream,
      },
      new FfmpegSource(camera.id, spec, capture, this.log),
      renderPlaceholder,
      this.log,
    );
  }

  /**
   * A camera an edge publishes (kind `relay`): its units come from the edge; on demand, so that an unwatched
   * camera sends nothing over the edge's uplink; its derived tracks made with the default settings.
   */
  published(camera: PublishedCameraSpec, source: FrameSource): CameraStream {
    return new CameraStream(
      {
        ...camera,
        kind: 'relay',
        alwaysOn: false,
        transcoders: transcoderFactory({ label: camera.id, maxUnitBytes: MAX_FRAME_BYTES }, this.log),
        transcoderPool: this.slots.pool('edge'),
      },
      source,
      renderPlaceholder,
      this.log,
    );
  }

  /**
   * A camera another hub of the cluster owns (kind `remote`, src/cluster): its units come over the bus, on
   * demand; its derived tracks are made here, from the edges' share of the transcoders.
   */
  remote(
    camera: { id: string; name: string; expectedSize?: { width: number; height: number } },
    source: FrameSource,
  ): CameraStream {
    return new CameraStream(
      {
        ...camera,
        ...this.remoteTiming,
        kind: 'remote',
        alwaysOn: false,
        transcoders: transcoderFactory({ label: camera.id, maxUnitBytes: MAX_FRAME_BYTES }, this.log),
        transcoderPool: this.slots.pool('edge'),
      },
      source,
      renderPlaceholder,
      this.log,
    );
  }

  /** Remote cameras' timing: camera_defaults, as for the cameras edges publish. */
  remoteTiming = { idleGraceMs: 10_000, stallTimeoutMs: 5000, snapshotTimeoutMs: 5000 };
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

/** A registry of this server's own cameras, in configuration order. */
export function createRegistry(cameras: CameraConfig[], log: Logger, factory = new CameraFactory(log)): CameraRegistry {
  const registry = new CameraRegistry();
  for (const camera of cameras) registry.add(factory.local(camera));
  return registry;
}
