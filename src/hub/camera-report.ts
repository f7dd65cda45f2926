/**
 * What the API says of a camera and of its tracks (GET /api/cameras, /metrics), read from the camera's
 * track table and producers when asked, never per unit.
 */
import type { Codec } from '../media/index.js';
import type { CameraInfo, CameraState } from './camera-info.js';
import type { CameraTracks, TrackEntry } from './camera-tracks.js';
import { preciseNow, type CameraStatus, type Quality } from './consumer.js';

/** What the API says of one track. */
export interface TrackInfo {
  codec: Codec;
  /** `main`, or `sub` / `low` for the smaller H.264 streams. */
  quality: Quality;
  /** Produced by the camera (native) or by a transcoder (derived). */
  origin: 'native' | 'derived';
  /** A derived track's transcoder is running. */
  running: boolean;
  codecString: string | null;
  /**
   * What makes the track, while it is made: `camera` (the camera's own units, passed through untouched), the
   * H.264 encoder of a derived track (`libx264`, `h264_rkmpp`, …: what `auto` chose), `decoder` (a derived JPEG
   * track: H.264 decoded to JPEGs), `mjpeg` (the capture encodes the camera's pictures to JPEG). Null otherwise.
   */
  encoder: string | null;
  /**
   * CPU seconds used so far by the process making the track: the capture process for the native track, the
   * transcoder for a derived one (over all their runs). Null when there is none (a relayed camera's native
   * track, a derived track never started).
   */
  cpuSeconds: number | null;
  width: number | null;
  height: number | null;
  consumers: number;
  bitrate: number;
  keyframeIntervalMs: number | null;
  units: number;
  bytes: number;
}

/**
 * The tracks' details; `cpu: false` leaves out the CPU seconds (not read from /proc then). A main track is
 * listed when it has a producer (not H.265 of another camera); a smaller stream while it is wanted or made,
 * so a client that never asks for one sees the list as it was.
 */
export function describeTracks(tracks: CameraTracks, { cpu = true }: { cpu?: boolean } = {}): TrackInfo[] {
  const now = preciseNow();
  const out: TrackInfo[] = [];
  for (const entry of tracks.all()) {
    const producer = tracks.producerOf(entry);
    if (!producer) continue;
    if (entry.quality !== 'main' && (!producer.available || (!producer.live && entry.track.consumers.size === 0)))
      continue;
    out.push(
      describeTrack(
        entry,
        now,
        producer.origin,
        producer.live,
        producer.encoder,
        cpu ? producer.cpuSeconds() : undefined,
      ),
    );
  }
  return out;
}

function describeTrack(
  { track, quality }: TrackEntry,
  now: number,
  origin: 'native' | 'derived',
  running: boolean,
  encoder: string | undefined,
  cpuSeconds: number | undefined,
): TrackInfo {
  const config = track.config;
  return {
    codec: track.codec,
    quality,
    origin,
    running,
    codecString: config?.codecString ?? null,
    encoder: running ? (encoder ?? null) : null,
    cpuSeconds: cpuSeconds === undefined ? null : Math.round(cpuSeconds * 100) / 100,
    width: config?.width ?? null,
    height: config?.height ?? null,
    consumers: track.consumers.size,
    bitrate: track.bitrate(now),
    keyframeIntervalMs: track.keyframeInterval() ?? null,
    units: track.counters.units,
    bytes: track.counters.bytes,
  };
}

/** What describeCamera reads of a camera. */
export interface ReportedCamera {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly alwaysOn: boolean;
  readonly state: CameraState;
  readonly status: CameraStatus;
  readonly failure: { reason: string; at: number } | undefined;
  readonly size: { width: number; height: number } | undefined;
  readonly native: Codec | undefined;
  /** capturedAt of the newest unit from the camera itself. */
  readonly lastFrameAt: number | undefined;
  readonly tracks: CameraTracks;
  fps(): number;
  viewerCount(): number;
  audio(): CameraInfo['audio'];
}

export function describeCamera(camera: ReportedCamera): CameraInfo {
  const { size, status, state, native } = camera;
  const offline = state === 'offline';
  const failure = camera.failure;
  const sub = camera.tracks.get('h264', 'sub').producer;
  return {
    id: camera.id,
    name: camera.name,
    kind: camera.kind,
    state,
    online: state === 'online',
    width: size?.width ?? null,
    height: size?.height ?? null,
    fps: camera.fps(),
    viewerCount: camera.viewerCount(),
    lastFrameAt: camera.lastFrameAt === undefined ? null : Math.round(camera.lastFrameAt),
    offlineSince: offline ? status.since : null,
    offlineReason: offline ? (status.reason ?? null) : null,
    lastError: failure?.reason ?? null,
    lastErrorAt: failure?.at ?? null,
    alwaysOn: camera.alwaysOn,
    codec: native ?? null,
    // Where the sub-stream comes from: the camera's own URL, else camrelay's encoder once the codec is known.
    substream:
      sub?.origin === 'native'
        ? 'camera'
        : !native || !(sub?.available ?? false)
          ? null
          : native === 'jpeg'
            ? 'encoder'
            : 'transcoder',
    audio: camera.audio(),
  };
}
