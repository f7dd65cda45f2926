/**
 * A camera's tracks, keyed by codec and quality, each with its producer (producer.ts):
 * - `jpeg`, `h264`, `h265` at `main`: the native one made by the capture, `jpeg` and `h264` otherwise by a
 *   transcoder of the native track (nothing derives `h265`: only a camera that sends H.265 has it);
 * - `h264` at `sub`: the camera's own second URL (substream.ts), or a transcoder scaled down (rungs.ts);
 * - `h264` at `low`: a transcoder, smaller still.
 * Each track numbers its own units: a viewer moving between qualities renumbers (src/outputs/ws).
 * The table feeds native units to the transcoders, clears what a new run must not continue, and says
 * what each smaller stream's encoder is asked for (its share of the stream above it, as measured).
 */
import type { Logger } from 'pino';
import type { AccessUnit, Codec } from '../media/index.js';
import type { SourceUnit } from '../media/index.js';
import type { FrameSource } from '../sources/source.js';
import type { Capture } from './capture.js';
import { preciseNow, type CameraStatus, type Consumer, type Quality } from './consumer.js';
import { DerivedTrack, type TranscoderFactory } from './derived-track.js';
import type { Producer } from './producer.js';
import { rungKbps, type RungQuality } from './rungs.js';
import { Substream } from './substream.js';
import type { TranscoderPool } from './transcoder-slots.js';
import type { SupervisorOptions } from './supervisor.js';
import { MAX_GOP_BYTES, Track } from './track.js';

export const CODECS: readonly Codec[] = ['jpeg', 'h264', 'h265'];
export const RUNG_QUALITIES: readonly RungQuality[] = ['sub', 'low'];

export interface TrackEntry {
  readonly codec: Codec;
  readonly quality: Quality;
  readonly track: Track;
  /**
   * What makes it: for a `main` track, what makes it when its codec is not the camera's own (a transcoder;
   * none for h265), the capture making it otherwise (CameraTracks.producerOf).
   */
  readonly producer: Producer | undefined;
}

export interface CameraTracksOptions {
  /** The camera's id, in logs. */
  id: string;
  idleGraceMs: number;
  /** Makes the transcoders of derived tracks; without it a camera has only its native track (and substream). */
  transcoders?: TranscoderFactory | undefined;
  /** The hub-wide slots its transcoders take (transcoder-slots.ts); without it, no cap. */
  transcoderPool?: TranscoderPool | undefined;
  /** Bound of each H.264 or H.265 track's cached group of pictures. */
  maxGopBytes?: number | undefined;
  /** The camera's own sub-stream; without it the sub track is a transcoder's. */
  substream?: FrameSource | undefined;
  /** How the substream's source is supervised (the camera's own settings). */
  supervisor: SupervisorOptions;
}

export interface CameraTracksHooks {
  /** The codec the camera sends, once its first unit has told. */
  native(): Codec | undefined;
  /** Whether the camera is online: nothing a transcoder made before an outage goes out after it. */
  online(): boolean;
  /** A consumer threw and was taken out of a track. */
  broken(entry: TrackEntry, consumer: Consumer): void;
}

export class CameraTracks {
  private readonly main: Record<Codec, TrackEntry>;
  private readonly rungs: Record<RungQuality, TrackEntry>;
  private readonly id: string;
  /** Every entry, in the order all() lists them (built once: publishNative walks it per unit). */
  private readonly entries: readonly TrackEntry[];

  constructor(
    options: CameraTracksOptions,
    private readonly capture: Capture,
    private readonly hooks: CameraTracksHooks,
    private readonly log: Logger,
  ) {
    this.id = options.id;
    const gop = options.maxGopBytes ?? MAX_GOP_BYTES;
    const entry = (codec: Codec, quality: Quality, make: (track: Track) => Producer | undefined): TrackEntry => {
      const track: Track = new Track(codec, options.id, log, gop, (consumer) => hooks.broken(made, consumer), quality);
      const made: TrackEntry = { codec, quality, track, producer: make(track) };
      return made;
    };
    const transcoded =
      (rung?: RungQuality) =>
      (track: Track): DerivedTrack =>
        new DerivedTrack(
          track,
          options.transcoders,
          options.idleGraceMs,
          options.id,
          log,
          () => hooks.online(),
          rung && { quality: rung, target: () => this.rungTarget(rung) },
          options.transcoderPool,
        );
    this.main = {
      jpeg: entry('jpeg', 'main', transcoded()),
      h264: entry('h264', 'main', transcoded()),
      h265: entry('h265', 'main', () => undefined),
    };
    const substream = options.substream;
    this.rungs = {
      sub: entry(
        'h264',
        'sub',
        substream ? (track) => new Substream(track, substream, options.supervisor, log) : transcoded('sub'),
      ),
      low: entry('h264', 'low', transcoded('low')),
    };
    this.entries = [
      ...CODECS.map((codec) => this.main[codec]),
      ...RUNG_QUALITIES.map((quality) => this.rungs[quality]),
    ];
  }

  /** The track of `codec` at `quality` (only H.264 has more than `main`: another codec's is its main). */
  get(codec: Codec, quality: Quality = 'main'): TrackEntry {
    return codec === 'h264' && quality !== 'main' ? this.rungs[quality] : this.main[codec];
  }

  /** Every track: the main ones by codec, then the smaller H.264 ones. */
  all(): readonly TrackEntry[] {
    return this.entries;
  }

  /** What makes a track now: the capture for the camera's own codec, else the track's own producer. */
  producerOf(entry: TrackEntry): Producer | undefined {
    return entry.quality === 'main' && entry.codec === this.hooks.native() ? this.capture : entry.producer;
  }

  /** Consumers over every track (one in two tracks for a moment counts twice: it is demand on both). */
  get consumerCount(): number {
    return this.all().reduce((sum, entry) => sum + entry.track.consumers.size, 0);
  }

  /** Consumers that watch: not background ones (a recorder), nor one on h265 (waiting for the codec there). */
  get watcherCount(): number {
    let n = 0;
    for (const { codec, track } of this.all()) {
      if (codec === 'h265') continue;
      for (const consumer of track.consumers) if (!consumer.background) n++;
    }
    return n;
  }

  /** Every consumer once, even one in two tracks for a moment (a viewer changing quality). */
  consumers(): Set<Consumer> {
    const all = new Set<Consumer>();
    for (const { track } of this.all()) for (const consumer of track.consumers) all.add(consumer);
    return all;
  }

  /** Whether the consumer is in any track. */
  holds(consumer: Consumer): boolean {
    return this.all().some(({ track }) => track.consumers.has(consumer));
  }

  /** Takes every consumer out of every track (the camera is closed); returns them, each once. */
  drain(): Set<Consumer> {
    const all = this.consumers();
    for (const { track } of this.all()) track.consumers.clear();
    return all;
  }

  /**
   * Tells every consumer the camera's status, once each (even one in two tracks for a moment); one that
   * throws is taken out of its track and reported as broken, like one that throws on a unit.
   */
  tell(status: CameraStatus): void {
    const told = new Set<Consumer>();
    for (const entry of this.entries) {
      const consumers = entry.track.consumers;
      for (const consumer of consumers) {
        if (told.has(consumer)) continue;
        told.add(consumer);
        try {
          consumer.onStatus?.(status);
        } catch (err) {
          this.log.error({ camera: this.id, err }, 'consumer failed on a status; dropping it');
          consumers.delete(consumer);
          this.hooks.broken(entry, consumer);
        }
      }
    }
  }

  /** Whether anything can make the track. */
  has(codec: Codec, quality: Quality = 'main'): boolean {
    return this.producerOf(this.get(codec, quality))?.available ?? false;
  }

  /** A unit of the camera's own: published on its track, and fed to every track made from it. */
  publishNative(unit: SourceUnit, capturedAt: number): void {
    const codec = unit.config.codec;
    const published = this.main[codec].track.publish(unit.config, unit.keyframe, unit.data, capturedAt, false, unit);
    for (const entry of this.all()) if (entry !== this.main[codec]) entry.producer?.feed(published);
  }

  /** What a producer of `entry` starts from when a consumer arrives: the native track's current units. */
  nativeCached(): readonly AccessUnit[] {
    const native = this.hooks.native();
    return native && this.hooks.online() ? this.main[native].track.cached() : [];
  }

  /** The camera went offline: an H.264 or H.265 stream that comes back starts afresh, at a keyframe. */
  offline(): void {
    this.main.h264.track.clearCache();
    this.main.h265.track.clearCache();
    this.main.jpeg.track.clock.reset(); // its latest picture stays (snapshots), its clock starts afresh
    for (const quality of RUNG_QUALITIES) {
      const rung = this.rungs[quality];
      if (rung.producer?.origin === 'derived') rung.track.clearCache();
    }
  }

  /** The camera went idle: nothing cached is continued by a later run, and no transcoder runs. */
  idle(): void {
    for (const entry of this.all()) {
      entry.track.clearCache();
      if (entry.producer?.origin === 'derived') void entry.producer.stop();
    }
  }

  /** Transcoders started so far for the camera's derived tracks. */
  get transcoderStarts(): number {
    return this.all().reduce((sum, entry) => sum + (entry.producer?.starts ?? 0), 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((entry) => entry.producer?.close()));
  }

  /**
   * What a rung's transcoder is asked for now: its share of the stream above it as measured (the native
   * stream, or for a JPEG camera the H.264 encoder's while it runs; for `low`, the sub-stream's too).
   */
  private rungTarget(quality: RungQuality): { kbps: number; measured: boolean } {
    const now = preciseNow();
    const native = this.hooks.native();
    const above = native === 'h264' || native === 'h265' ? this.main[native] : this.main.h264;
    const kbps = (entry: TrackEntry): number | undefined => {
      const bps = entry.track.meanBitrate(now);
      return bps === undefined ? undefined : bps / 1000;
    };
    const main = kbps(above);
    const sub = quality === 'low' ? kbps(this.rungs.sub) : undefined;
    return { kbps: rungKbps(quality, { main, sub }), measured: main !== undefined || sub !== undefined };
  }
}
