/** Motion detection in /metrics: pictures analysed and the detector's CPU seconds (decoder, analysis) per camera. */
import { Counter, type Registry } from 'prom-client';
import type { MotionService } from './service.js';

export function addMotionMetrics(register: Registry, motion: MotionService): void {
  new Counter({
    name: 'camrelay_motion_frames_analysed_total',
    help: 'Pictures the motion detector analysed, per camera',
    labelNames: ['camera'],
    registers: [register],
    collect(this: Counter) {
      this.reset();
      for (const camera of motion.cameras()) {
        const info = motion.info(camera);
        if (info) this.inc({ camera }, info.framesAnalysed);
      }
    },
  });
  new Counter({
    name: 'camrelay_motion_cpu_seconds_total',
    help: "CPU seconds of the motion detector per camera: part 'decoder' (its ffmpeg, read from /proc when scraped), 'analysis' (on the server's thread)",
    labelNames: ['camera', 'part'],
    registers: [register],
    collect(this: Counter) {
      this.reset();
      for (const camera of motion.cameras()) {
        const info = motion.info(camera);
        if (!info) continue;
        this.inc({ camera, part: 'decoder' }, info.decoderSeconds);
        this.inc({ camera, part: 'analysis' }, info.analysisSeconds);
      }
    },
  });
}
