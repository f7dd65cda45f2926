/**
 * Motion detection (README.md): per camera with `motion:`, its cheapest stream decoded to small grey
 * pictures a few times a second and analysed; each picture's MotionObservation goes to subscribers.
 */
export { MotionService, type MotionListener, type DetectorInfo } from './service.js';
export type { MotionObservation, MotionState, MotionInput } from './detector.js';
export {
  MOTION_DEFAULTS,
  motionSchema,
  settleMotion,
  type CameraMotionConfig,
  type MotionOptions,
  type MotionZone,
} from './config.js';
export { MotionAnalyser, type AnalyserOptions, type FrameAnalysis } from './analyser.js';
export { motionRoutes } from './routes.js';
export { addMotionMetrics } from './metrics.js';
