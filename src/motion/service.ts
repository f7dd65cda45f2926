/**
 * Motion detection for the whole server: one CameraDetector per camera with `motion:`, and the
 * observations they make handed to whoever subscribed (the events, the live API). A listener that
 * throws is logged and kept; it never stops the detector or the other listeners.
 */
import type { Logger } from 'pino';
import type { CameraStream } from '../hub/camera-stream.js';
import type { CameraMotionConfig } from './config.js';
import { CameraDetector, type MotionInput, type MotionObservation, type MotionState } from './detector.js';

export type MotionListener = (observation: MotionObservation) => void;

export interface DetectorInfo {
  camera: string;
  input: MotionInput;
  config: CameraMotionConfig;
  framesAnalysed: number;
  /** CPU seconds so far: the decoder's processes, and the analysis on the server's thread. */
  decoderSeconds: number;
  analysisSeconds: number;
}

export class MotionService {
  private readonly detectors = new Map<string, CameraDetector>();
  private readonly listeners = new Map<string, Set<MotionListener>>();
  private readonly everyCamera = new Set<MotionListener>();
  private listenerErrors = 0;

  constructor(private readonly log: Logger) {}

  /**
   * Detects motion on `camera` from now on (captured all the time from now on). `input`: `sub` when the
   * camera has its own sub-stream (`substream:`), else `main`.
   */
  attach(camera: CameraStream, config: CameraMotionConfig, input: MotionInput): void {
    if (this.detectors.has(camera.id)) throw new Error(`motion: camera ${camera.id} has a detector already`);
    const detector = new CameraDetector(camera, config, input, this.log, (o) => this.tell(o));
    this.detectors.set(camera.id, detector);
    detector.start();
    this.log.info({ camera: camera.id, input, fps: config.fps, zones: config.zones.length }, 'motion detection on');
  }

  async detach(cameraId: string): Promise<void> {
    const detector = this.detectors.get(cameraId);
    if (!detector) return;
    this.detectors.delete(cameraId);
    await detector.close();
  }

  /** Whether `cameraId` has a detector. */
  has(cameraId: string): boolean {
    return this.detectors.has(cameraId);
  }

  /** Cameras with a detector, in the order they were attached. */
  cameras(): string[] {
    return [...this.detectors.keys()];
  }

  /** Each observation of one camera; returns the function that stops them. */
  subscribe(cameraId: string, listener: MotionListener): () => void {
    let set = this.listeners.get(cameraId);
    if (!set) this.listeners.set(cameraId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(cameraId) === set) this.listeners.delete(cameraId);
    };
  }

  /** Each observation of every camera; returns the function that stops them. */
  subscribeAll(listener: MotionListener): () => void {
    this.everyCamera.add(listener);
    return () => this.everyCamera.delete(listener);
  }

  /** The newest analysed picture of a camera, with its mask; undefined before the first. */
  latest(cameraId: string): MotionState | undefined {
    return this.detectors.get(cameraId)?.latest;
  }

  info(cameraId: string): DetectorInfo | undefined {
    const d = this.detectors.get(cameraId);
    if (!d) return undefined;
    return {
      camera: cameraId,
      input: d.input,
      config: d.config,
      framesAnalysed: d.framesAnalysed,
      decoderSeconds: d.decoderSeconds(),
      analysisSeconds: d.analysisSeconds,
    };
  }

  async close(): Promise<void> {
    const all = [...this.detectors.values()];
    this.detectors.clear();
    await Promise.all(all.map((d) => d.close()));
  }

  private tell(observation: MotionObservation): void {
    for (const listener of [...(this.listeners.get(observation.camera) ?? []), ...this.everyCamera]) {
      try {
        listener(observation);
      } catch (err) {
        if (this.listenerErrors++ % 1000 === 0)
          this.log.error({ err, camera: observation.camera }, 'a motion listener failed');
      }
    }
  }
}
