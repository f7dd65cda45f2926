/**
 * The camera's own capture as the producer of its native track: its source under a SourceSupervisor
 * (started on demand, restarted with backoff), the CPU time of its process (read when asked and just
 * before the process is stopped, never per unit), and what encodes its pictures when they are not the
 * camera's own (`mjpeg` for a capture that encodes to JPEG).
 */
import type { Logger } from 'pino';
import type { AccessUnit } from '../media/index.js';
import type { FrameSource } from '../sources/source.js';
import type { CameraState } from './camera-info.js';
import type { CameraStatus } from './consumer.js';
import { ProcessCpu } from './process-cpu.js';
import type { Producer } from './producer.js';
import { SourceSupervisor, type CameraCounters, type SupervisorHooks, type SupervisorOptions } from './supervisor.js';

export class Capture implements Producer {
  readonly origin = 'native';
  readonly available = true;
  readonly starts = 0;
  private readonly supervisor: SourceSupervisor;
  /** CPU time of the capture process, for sources that run one. */
  private readonly cpu: ProcessCpu | undefined;

  constructor(
    private readonly source: FrameSource,
    options: SupervisorOptions,
    hooks: SupervisorHooks,
    log: Logger,
  ) {
    const cpu = 'pid' in source ? new ProcessCpu(() => source.pid) : undefined;
    this.cpu = cpu;
    // The capture's last CPU seconds are read before it is stopped, so they count too.
    const supervised: FrameSource = {
      start: (sink) => source.start(sink),
      stop: () => {
        cpu?.sample();
        return source.stop();
      },
    };
    this.supervisor = new SourceSupervisor(options, supervised, hooks, log);
  }

  /** Starts an always_on camera; call once the camera is ready for units. */
  init(): void {
    this.supervisor.init();
  }

  get state(): CameraState {
    return this.supervisor.state;
  }

  get status(): CameraStatus {
    return this.supervisor.status;
  }

  get counters(): CameraCounters {
    return this.supervisor.counters;
  }

  get failure(): { reason: string; at: number } | undefined {
    return this.supervisor.failure;
  }

  get live(): boolean {
    return this.state === 'online';
  }

  get encoder(): string {
    return this.source.encoder ?? 'camera';
  }

  cpuSeconds(): number | undefined {
    return this.cpu?.seconds();
  }

  fps(): number {
    return this.supervisor.fps();
  }

  offlineMs(): number {
    return this.supervisor.offlineMs();
  }

  retryNow(): void {
    this.supervisor.retryNow();
  }

  /** Some track gained a consumer: the source starts if it is idle. */
  wanted(_native?: readonly AccessUnit[]): void {
    this.supervisor.wanted();
  }

  /** Some track lost one: the source stops after the idle grace once no demand is left. */
  unwanted(): void {
    this.supervisor.unwanted();
  }

  feed(): void {
    // It is the native track's producer: nothing is fed to it.
  }

  /** The supervisor stops the source itself when demand ends. */
  async stop(): Promise<void> {}

  close(): Promise<void> {
    return this.supervisor.close();
  }
}
