/**
 * Plays a camera's recording in a <video>: a window of video.mp4 at a time (the server serves
 * it with Range requests, so seeking inside a window is the browser's), the next window loaded
 * when one ends. Maps video time to wall-clock time through the window's X-Recording-Start.
 */
import { h } from './dom.js';
import { probeWindow, videoHref } from './recordings.js';
import {
  MINUTE,
  nextWindowStart,
  playableFrom,
  playWindow,
  SECOND,
  videoTime,
  wallTime,
  type Span,
} from './timeline-model.js';

/** How much video one request covers. */
export const WINDOW_MS = 15 * MINUTE;
/** A window that would be shorter than this because the recording ends there is not worth loading. */
const MIN_TAIL_MS = 3 * SECOND;

export type PlaybackState = 'stopped' | 'loading' | 'playing' | 'paused' | 'ended' | 'error';

export interface RecordingPlayerHost {
  /** The recorded ranges known now (sorted), for skipping holes. */
  ranges(): readonly Span[];
  /** The wall-clock time shown changed (while playing, a few times a second). */
  time(t: number): void;
  state(state: PlaybackState, message?: string): void;
  /** The server refused the recordings to this user. */
  forbidden(): void;
}

export class RecordingPlayer {
  readonly video: HTMLVideoElement;
  private window: Span | undefined;
  /** Wall-clock time of the window's video time 0. */
  private origin = 0;
  private rate = 1;
  private current: PlaybackState = 'stopped';
  private load: AbortController | undefined;

  constructor(
    private readonly camera: string,
    private readonly host: RecordingPlayerHost,
  ) {
    this.video = h('video', {
      class: 'recording-video',
      muted: true,
      playsinline: true,
      preload: 'auto',
      hidden: true,
      'aria-label': 'Recorded video',
    });
    this.video.muted = true;
    this.video.addEventListener('timeupdate', () => this.tell());
    this.video.addEventListener('seeked', () => this.tell());
    this.video.addEventListener('playing', () => this.setState('playing'));
    this.video.addEventListener('pause', () => {
      if (this.current === 'playing') this.setState('paused');
    });
    this.video.addEventListener('ratechange', () => {
      // A new source resets the rate to the default: keep the chosen one.
      if (this.video.playbackRate !== this.rate && this.video.src) this.video.playbackRate = this.rate;
    });
    this.video.addEventListener('ended', () => void this.next());
    this.video.addEventListener('error', () => {
      if (this.video.getAttribute('src')) this.setState('error', 'the recording could not be played');
    });
  }

  get state(): PlaybackState {
    return this.current;
  }

  /** The wall-clock time playing now; undefined when stopped. */
  get time(): number | undefined {
    if (!this.window) return undefined;
    return wallTime(this.origin, this.video.currentTime);
  }

  get playbackRate(): number {
    return this.rate;
  }

  set playbackRate(rate: number) {
    this.rate = rate;
    this.video.defaultPlaybackRate = rate;
    this.video.playbackRate = rate;
  }

  /** Plays from wall-clock `t` (from the next recorded instant when `t` is in a hole). */
  async playFrom(t: number): Promise<void> {
    // Inside the loaded window, a seek is enough.
    if (this.window && t >= this.origin && t < this.window.end - SECOND && this.current !== 'error') {
      const seconds = videoTime(this.origin, t);
      if (Number.isFinite(this.video.duration) && seconds < this.video.duration - 0.5) {
        this.video.currentTime = seconds;
        if (this.video.paused) void this.video.play().catch(() => {});
        this.host.time(t);
        return;
      }
    }
    const start = playableFrom(t, this.host.ranges()) ?? t;
    await this.open(start);
  }

  pause(): void {
    this.video.pause();
  }

  resume(): void {
    if (this.current === 'ended' || this.current === 'error') {
      const t = this.time;
      if (t !== undefined) void this.playFrom(t);
      return;
    }
    void this.video.play().catch(() => {});
  }

  stop(): void {
    this.load?.abort();
    this.load = undefined;
    this.window = undefined;
    this.video.pause();
    this.video.removeAttribute('src');
    this.video.load();
    this.setState('stopped');
  }

  private async open(start: number): Promise<void> {
    this.load?.abort();
    const load = new AbortController();
    this.load = load;
    const window = playWindow(start, WINDOW_MS, Date.now());
    if (window.end - window.start < MIN_TAIL_MS) {
      this.setState('ended', 'End of the recording');
      return;
    }
    this.setState('loading');
    this.host.time(start);
    const probe = await probeWindow(this.camera, window, load.signal);
    if (load.signal.aborted) return;
    if (probe.kind === 'forbidden') {
      this.stop();
      this.host.forbidden();
      return;
    }
    if (probe.kind === 'none') {
      this.setState('ended', 'Nothing recorded from here on');
      return;
    }
    if (probe.kind === 'error') {
      this.setState('error', `The recording could not be loaded: ${probe.message}`);
      return;
    }
    // Cut short (the camera changed its settings there): the next window starts at the cut.
    this.window = probe.cut !== undefined ? { start: window.start, end: probe.cut } : window;
    this.origin = probe.start;
    // The video starts at the keyframe before `start`: play from `start` itself.
    const skip = videoTime(probe.start, start);
    if (skip > 0.05) {
      this.video.addEventListener(
        'loadedmetadata',
        () => {
          if (this.load === load && skip < this.video.duration) this.video.currentTime = skip;
        },
        { once: true },
      );
    }
    this.video.src = videoHref(this.camera, window);
    this.video.defaultPlaybackRate = this.rate;
    this.video.playbackRate = this.rate;
    this.video.play().catch((err: unknown) => {
      // A newer load replaced this one: not an error.
      if (!load.signal.aborted && !(err instanceof DOMException && err.name === 'AbortError')) this.setState('paused');
    });
  }

  /** The window ended: the next one, from where this one was asked to end. */
  private async next(): Promise<void> {
    const window = this.window;
    if (!window) return;
    const start = nextWindowStart(window.end, this.host.ranges(), Date.now() - MIN_TAIL_MS);
    if (start === undefined) {
      this.setState('ended', 'End of the recording');
      return;
    }
    await this.open(start);
  }

  private tell(): void {
    const t = this.time;
    if (t !== undefined) this.host.time(t);
  }

  private setState(state: PlaybackState, message?: string): void {
    this.current = state;
    this.host.state(state, message);
  }
}
