/**
 * Export plans, made once and reused. A request first resolves to the samples it covers
 * (export.ts `chooseRuns`, cheap once the segments' tables are cached); requests that resolve to
 * the same samples (starts a millisecond apart, a player's Range requests, HEAD then GET) share one
 * plan, kept in an LRU bounded in bytes. Laying a plan out (millions of samples for a day) runs one
 * at a time: memory for plans in the making is one plan's, however many exports are asked at once.
 *
 * A plan with the segment still being written in it changes as that segment grows; a player reads
 * one file in several Range requests, so the same request gets the same plan for two minutes
 * before it is made again with what was written since.
 */
import type { SegmentRecord } from '../recording/store.js';
import { chooseRuns, layOut, type ExportPlan, type ExportRequest } from './export.js';
import { HeaderBuilder } from './header-builder.js';
import type { SegmentTables } from './tables.js';

/** How long a request keeps the plan it got while the plan's last segment is still being written. */
const GROWING_PLAN_MS = 120_000;
/** Requests remembered for that, at most (oldest forgotten first). */
const GROWING_REQUESTS = 256;

export class ExportPlanner {
  private readonly headers = new HeaderBuilder();
  private readonly plans = new Map<string, ExportPlan>();
  private held = 0;
  /** Request → the growing plan it was given, and when. */
  private readonly growing = new Map<string, { signature: string; at: number }>();
  /** The plan being laid out, or the end of the one before: the next waits for it. */
  private laying: Promise<unknown> = Promise.resolve();
  /** Plans laid out (not taken from the cache), for tests and metrics. */
  built = 0;

  constructor(
    private readonly tables: SegmentTables,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  /** The plan of `request` over `segments` (the catalog's, oldest first); undefined when nothing playable is there. */
  async plan(request: ExportRequest, segments: readonly SegmentRecord[]): Promise<ExportPlan | undefined> {
    const key = `${request.camera} ${request.start} ${request.end} ${request.notBefore ? 'after' : 'before'}`;
    const given = this.growing.get(key);
    if (given && Date.now() - given.at < GROWING_PLAN_MS) {
      const same = this.get(given.signature);
      if (same) return same;
    }
    const chosen = await chooseRuns(request, segments, this.tables);
    if (!chosen) return undefined;
    if (chosen.growing) {
      this.growing.delete(key);
      this.growing.set(key, { signature: chosen.signature, at: Date.now() });
      if (this.growing.size > GROWING_REQUESTS) this.growing.delete(this.growing.keys().next().value!);
    }
    const cached = this.get(chosen.signature);
    if (cached) return cached;
    const turn = this.laying.then(async () => {
      // Laid out by a request that came just before: take it.
      const done = this.get(chosen.signature);
      if (done) return done;
      const plan = await layOut(request, chosen, this.headers);
      this.built++;
      this.set(chosen.signature, plan);
      return plan;
    });
    this.laying = turn.catch(() => {});
    return turn;
  }

  async close(): Promise<void> {
    await this.headers.close();
  }

  private get(signature: string): ExportPlan | undefined {
    const plan = this.plans.get(signature);
    if (!plan) return undefined;
    this.plans.delete(signature);
    this.plans.set(signature, plan);
    return plan;
  }

  private set(signature: string, plan: ExportPlan): void {
    if (plan.bytes > this.maxBytes) return;
    this.plans.set(signature, plan);
    this.held += plan.bytes;
    while (this.held > this.maxBytes) {
      const [oldest, entry] = this.plans.entries().next().value!;
      this.plans.delete(oldest);
      this.held -= entry.bytes;
    }
  }
}
