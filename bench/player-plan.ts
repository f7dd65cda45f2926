/** What bench/run.ts asks of bench/player.ts, and what it answers (its own file: player.ts needs DOM types). */

export interface PlayerPlan {
  url: string;
  camera: string;
  warmupMs: number;
  measureMs: number;
  /** The player's `path` attribute: how it decodes (default: the player's own choice). */
  path?: 'auto' | 'webcodecs' | 'mse' | 'jpeg';
}

export interface PlayerResult {
  /** Frames displayed per second over the window, counted. */
  fps: number;
  /** The player's own fps (over its last 2 s) at the end of the window. */
  playerFps: number | null;
  /** The player's capture-to-display latency (mean over its last 2 s), sampled over the window. */
  latencyP50: number;
  latencyMax: number;
  width: number;
  height: number;
  transport: string | null;
  /** The decoding path and codec the player used. */
  path: string | null;
  codec: string | null;
  dropped: number;
}
