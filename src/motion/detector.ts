/**
 * One camera's detector: a background consumer of the cheapest track that shows the picture (the
 * camera's own sub-stream when it has one, else its own main stream as it comes, never a track camrelay
 * would have to encode for it), its units decoded by one GrayDecoder to small grey pictures, each
 * analysed (analyser.ts) and told to the listener as a MotionObservation. Being a consumer keeps the
 * camera captured all the time, like a recorded one.
 */
import type { Logger } from 'pino';
import type { CameraStream } from '../hub/camera-stream.js';
import type { Consumer } from '../hub/consumer.js';
import type { AccessUnit, Codec } from '../media/index.js';
import { MotionAnalyser, type FrameAnalysis } from './analyser.js';
import type { CameraMotionConfig } from './config.js';
import { GrayDecoder, type GrayFrame } from './gray-decoder.js';

export interface MotionObservation {
  camera: string;
  /** Wall time (ms since the epoch) of the analysed picture. */
  at: number;
  /** Share of the counted (included) picture moving after every filter, 0-1. */
  score: number;
  /** Include zones the motion touches. */
  zones: string[];
  /** This picture counts as motion: above threshold and min_area, persistent, not a global change. */
  motion: boolean;
}

/** The newest analysed picture's result and mask, for the live overlay. */
export interface MotionState extends MotionObservation {
  width: number;
  height: number;
  /** Per analysed pixel: 0 still, 1 changed but filtered out, 2 motion that counts. Overwritten by the next picture. */
  mask: Uint8Array;
  /** A global change is being waited out. */
  calibrating: boolean;
}

/** Where the detector reads the picture: the camera's own sub-stream, or its main stream. */
export type MotionInput = 'sub' | 'main';

/** How often a detector on the main stream looks whether the camera's codec is known yet. */
const NATIVE_POLL_MS = 500;

/** A unit's wall time: the media clock's mapping of its time (src/media), not its arrival. */
export function wallTimeOf(unit: AccessUnit): number {
  return Number.isFinite(unit.wallTime) ? unit.wallTime : unit.capturedAt;
}

export class CameraDetector {
  readonly decoder: GrayDecoder;
  framesAnalysed = 0;
  /**
   * CPU seconds of the analysis (the process's CPU time over each analysis: the server's thread does
   * it synchronously; wall time would count the moments a busy machine gave the CPU to others).
   */
  analysisSeconds = 0;
  private analyser: MotionAnalyser | undefined;
  private latestState: MotionState | undefined;
  private unsubscribe: (() => void) | undefined;
  private poll: NodeJS.Timeout | undefined;
  private closed = false;
  private exitLogged = 0;

  constructor(
    readonly camera: CameraStream,
    readonly config: CameraMotionConfig,
    readonly input: MotionInput,
    private readonly log: Logger,
    private readonly emit: (observation: MotionObservation) => void,
  ) {
    this.decoder = new GrayDecoder({
      fps: config.fps,
      label: camera.id,
      onFrame: (frame) => this.analyse(frame),
      onExit: (reason) => {
        // Said once a minute at most: a camera that keeps failing has its own log lines.
        if (Date.now() - this.exitLogged < 60_000) return;
        this.exitLogged = Date.now();
        this.log.warn({ camera: camera.id }, `motion decoder ended: ${reason}`);
      },
    });
  }

  get latest(): MotionState | undefined {
    return this.latestState;
  }

  /** Seconds of CPU the decoder's processes used so far. */
  decoderSeconds(): number {
    return this.decoder.cpu.seconds();
  }

  start(): void {
    const consumer: Consumer = {
      background: true,
      onUnit: (unit) => {
        if (unit.placeholder || this.closed) return;
        this.decoder.push({ config: unit.config, keyframe: unit.keyframe, data: unit.data, at: wallTimeOf(unit) });
      },
    };
    if (this.input === 'sub') {
      this.unsubscribe = this.camera.subscribe(consumer, 'h264', 'sub');
      return;
    }
    const native = this.camera.native;
    if (native) {
      this.unsubscribe = this.camera.subscribe(consumer, native);
      return;
    }
    // Until the camera's first unit tells its codec: a consumer on the h265 track runs its source (and
    // nothing else: no transcoder makes H.265), then the one on the codec it sends.
    this.unsubscribe = this.camera.subscribe(consumer, 'h265');
    this.poll = setInterval(() => {
      const codec: Codec | undefined = this.camera.native;
      if (!codec || this.closed) return;
      clearInterval(this.poll);
      this.poll = undefined;
      if (codec === 'h265') return;
      const waiting = this.unsubscribe;
      this.unsubscribe = this.camera.subscribe(consumer, codec);
      waiting?.();
    }, NATIVE_POLL_MS);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.poll) clearInterval(this.poll);
    this.unsubscribe?.();
    await this.decoder.close();
  }

  private analyse(frame: GrayFrame): void {
    if (this.closed) return;
    const started = process.cpuUsage();
    if (!this.analyser || this.analyser.width !== frame.width || this.analyser.height !== frame.height) {
      this.analyser = new MotionAnalyser({
        width: frame.width,
        height: frame.height,
        fps: this.config.fps,
        threshold: this.config.threshold,
        minArea: this.config.minArea,
        zones: this.config.zones,
      });
    }
    const result: FrameAnalysis = this.analyser.analyse(frame.data);
    const used = process.cpuUsage(started);
    this.analysisSeconds += (used.user + used.system) / 1e6;
    this.framesAnalysed++;
    const observation: MotionObservation = {
      camera: this.camera.id,
      at: frame.at,
      score: result.score,
      zones: result.zones,
      motion: result.motion,
    };
    this.latestState = {
      ...observation,
      width: frame.width,
      height: frame.height,
      mask: this.analyser.mask,
      calibrating: result.calibrating,
    };
    this.emit(observation);
  }
}
