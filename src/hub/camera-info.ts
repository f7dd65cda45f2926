/**
 * What the API says of a camera (GET /api/cameras). Imports nothing, so the
 * web viewer reads the same type the server writes.
 */

export type CameraState = 'idle' | 'starting' | 'online' | 'offline';

export interface CameraInfo {
  id: string;
  name: string;
  kind: string;
  state: CameraState;
  online: boolean;
  width: number | null;
  height: number | null;
  fps: number;
  viewerCount: number;
  lastFrameAt: number | null;
  offlineSince: number | null;
  offlineReason: string | null;
  /** The newest failure (ffmpeg's exit, a stall, …), kept while the camera is idle; null once a frame comes. */
  lastError: string | null;
  /** When it happened, in ms since the Unix epoch. */
  lastErrorAt: number | null;
  alwaysOn: boolean;
  /** The codec the camera itself produces (`jpeg`, `h264`); null until its first picture. */
  codec: string | null;
  /**
   * Where the H.264 sub-stream comes from: `camera` (its own second URL, free), `encoder` (camrelay encodes
   * it from a JPEG camera, as it encodes the main stream for H.264 viewers), `transcoder` (an H.264 camera's
   * stream decoded and encoded again: costs CPU). Null until the camera's codec is known.
   */
  substream: 'camera' | 'encoder' | 'transcoder' | null;
  /**
   * The camera's audio track, once its capture has given some: codec (`aac`, `pcma`, `pcmu`, `opus`), its
   * codec string, sample rate and channels, and what flowed. Null for a camera without audio (none in its
   * stream, `audio: false`, or a source camrelay does not read audio from).
   */
  audio?: {
    codec: string;
    codecString: string;
    sampleRate: number;
    channels: number;
    consumers: number;
    units: number;
    bytes: number;
  } | null;
}
