/**
 * The hub-wide cap on transcoders (decoders and encoders: each one an ffmpeg process). Every derived track
 * takes a slot before its transcoder starts and gives it back once that process has exited, so the cap
 * counts real processes, a stopping one included. Cameras edges publish may hold at most a share of the
 * slots (half, rounded down, at least one): an edge, however many cameras it announces, cannot take the
 * last slots the hub's own cameras need. Beyond the cap a derived track waits (it tries again at the next
 * keyframe) and is reported as such; nothing is queued.
 */

/** Whose camera a transcoder serves: this server's own, or one an edge publishes. */
export type SlotOwner = 'own' | 'edge';

/** Hands out slots for one camera's derived tracks. */
export interface TranscoderPool {
  /** A slot, with the function that gives it back (once); undefined when none is free for this camera. */
  take(): (() => void) | undefined;
}

/** Transcoders in the whole hub unless `limits.transcoders` says otherwise (two-core boards in mind). */
export const DEFAULT_MAX_TRANSCODERS = 16;

export class TranscoderSlots {
  private running = 0;
  private edges = 0;
  /** Slots refused so far (a derived track that had to wait), for /metrics. */
  refused = 0;
  /** The most edges' cameras may hold. */
  readonly edgeLimit: number;

  constructor(readonly limit = DEFAULT_MAX_TRANSCODERS) {
    this.edgeLimit = Math.max(1, Math.floor(limit / 2));
  }

  /** Transcoders running (or still exiting) now. */
  get inUse(): number {
    return this.running;
  }

  /** Of them, those of cameras edges publish. */
  get edgeInUse(): number {
    return this.edges;
  }

  pool(owner: SlotOwner): TranscoderPool {
    return { take: () => this.take(owner) };
  }

  private take(owner: SlotOwner): (() => void) | undefined {
    if (this.running >= this.limit || (owner === 'edge' && this.edges >= this.edgeLimit)) {
      this.refused++;
      return undefined;
    }
    this.running++;
    if (owner === 'edge') this.edges++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.running--;
      if (owner === 'edge') this.edges--;
    };
  }
}
