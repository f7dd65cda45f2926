/**
 * What the events follow: per camera, the motion detector's observations (src/motion), one per
 * analysed picture. The events depend on `subscribe` only, so a hand-driven source can stand in
 * for the detector in tests, and an edge's observations can be raised on a hub without one.
 */
import type { MotionObservation } from '../motion/index.js';

export type { MotionObservation };

/** Per camera, a stream of observations: `subscribe` returns the function that stops it. */
export interface ObservationSource {
  subscribe(cameraId: string, listener: (observation: MotionObservation) => void): () => void;
}
