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
  alwaysOn: boolean;
}
