/**
 * What the motion detector (src/motion) tells the events: one observation per analysed picture.
 * The events depend on this shape only, so a hand-driven source can stand in for the detector in
 * tests, and an edge's events can be raised on a hub without a detector there.
 */
export interface MotionObservation {
  camera: string;
  /** Wall-clock time of the analysed picture, ms since the epoch. */
  at: number;
  /** How much of the picture moved, 0–1. */
  score: number;
  /** The named zones the motion touched. */
  zones: string[];
  /** Whether this picture counts as motion (past the detector's thresholds). */
  motion: boolean;
}

/** Per camera, a stream of observations: `subscribe` returns the function that stops it. */
export interface ObservationSource {
  subscribe(cameraId: string, listener: (observation: MotionObservation) => void): () => void;
}
