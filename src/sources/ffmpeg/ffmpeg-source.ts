/** A FrameSource that captures through an ffmpeg child process. */
import type { Logger } from 'pino';
import { maskCredentials, sourceSecrets } from '../credentials.js';
import { describeDevice } from '../devices/v4l2.js';
import type { FrameSource, SourceSink } from '../source.js';
import type { CaptureOptions, SourceSpec } from '../spec.js';
import { ffmpegArgs } from './args.js';
import { locateFfmpeg } from './locate.js';
import { runFfmpeg, type FfmpegRun } from './process.js';

export class FfmpegSource implements FrameSource {
  private run: FfmpegRun | undefined;
  /** Bumped by stop() so that an asynchronous start that loses the race does nothing. */
  private generation = 0;

  constructor(
    private readonly cameraId: string,
    private readonly spec: SourceSpec,
    private readonly options: CaptureOptions & { maxFrameBytes: number },
    private readonly log: Logger,
  ) {}

  /** The pid of the running ffmpeg, if any (tests kill it to simulate a fault). */
  get pid(): number | undefined {
    return this.run?.pid;
  }

  start(outer: SourceSink): void {
    const generation = ++this.generation;
    // ffmpeg quotes its input URL in its messages: the reason leaves here with credentials masked.
    const secrets = sourceSecrets(this.spec);
    const sink: SourceSink = {
      frame: (jpeg) => outer.frame(jpeg),
      ended: (reason) => outer.ended(maskCredentials(reason, secrets)),
    };
    void this.resolveSpec().then(
      (spec) => {
        if (generation !== this.generation) return;
        let binary: string;
        try {
          binary = locateFfmpeg().path;
        } catch (err) {
          sink.ended((err as Error).message);
          return;
        }
        const plan = ffmpegArgs(spec, this.options, this.cameraId);
        this.log.debug({ camera: this.cameraId, passthrough: plan.passthrough }, 'starting ffmpeg');
        this.run = runFfmpeg(binary, plan.args, sink, this.options.maxFrameBytes);
      },
      (err: unknown) => {
        if (generation === this.generation) sink.ended(`could not prepare capture: ${(err as Error).message}`);
      },
    );
  }

  async stop(): Promise<void> {
    this.generation++;
    const run = this.run;
    this.run = undefined;
    await run?.stop();
  }

  /** A v4l2 camera with no format given uses MJPEG when it offers it, so frames pass through. */
  private async resolveSpec(): Promise<SourceSpec> {
    if (this.spec.kind !== 'v4l2' || this.spec.format) return this.spec;
    const device = await describeDevice(this.spec.device);
    const mjpeg = device.formats.some((f) => f.format === 'mjpeg');
    return mjpeg ? { ...this.spec, format: 'mjpeg' } : this.spec;
  }
}
