/**
 * The camera's own sub-stream (its second, smaller H.264 URL, `substream:`) as the producer of its `sub`
 * track: a second supervised source, read only while the track has consumers, its units passed through
 * untouched. Another codec there is a configuration mistake: said once, not used.
 */
import type { Logger } from 'pino';
import type { FrameSource } from '../sources/source.js';
import type { Producer } from './producer.js';
import { SourceSupervisor, type SupervisorOptions } from './supervisor.js';
import type { Track } from './track.js';

export class Substream implements Producer {
  readonly origin = 'native';
  readonly available = true;
  readonly starts = 0;
  private readonly supervisor: SourceSupervisor;
  private codecWarned = false;
  private closed = false;

  constructor(
    track: Track,
    private readonly source: FrameSource,
    options: SupervisorOptions,
    private readonly log: Logger,
  ) {
    this.supervisor = new SourceSupervisor(
      { ...options, id: `${options.id} sub`, alwaysOn: false },
      source,
      {
        hasDemand: () => !this.closed && track.consumers.size > 0,
        unit: (unit, capturedAt) => {
          if (unit.config.codec !== 'h264') {
            if (!this.codecWarned) this.log.warn({ camera: options.id }, 'the substream is not H.264: not used');
            this.codecWarned = true;
            return;
          }
          track.publish(unit.config, unit.keyframe, unit.data, capturedAt, false, unit);
        },
        changed: (state) => {
          if (state !== 'online') track.clearCache(); // it resumes at a keyframe
        },
      },
      log,
    );
  }

  get live(): boolean {
    return this.supervisor.state === 'online';
  }

  get encoder(): string | undefined {
    return this.live ? (this.source.encoder ?? 'camera') : undefined;
  }

  cpuSeconds(): undefined {
    return undefined;
  }

  wanted(): void {
    this.supervisor.wanted();
  }

  unwanted(): void {
    this.supervisor.unwanted();
  }

  feed(): void {
    // Its units come from its own URL, not from the native track.
  }

  /** Idle camera: its own supervisor stops it once the track has no consumers. */
  async stop(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    await this.supervisor.close();
  }
}
