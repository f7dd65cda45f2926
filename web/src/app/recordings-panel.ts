/**
 * The single view's recordings: a day's timeline (recorded ranges, gaps, now), day navigation
 * and zoom, playback of the recording in a <video> with its wall-clock time, speeds, "Live" to
 * go back, and a selected range to download (range-selection.ts). Shown only for a camera that records or has
 * recordings, and never to a user the server refuses them to.
 */
import type { Camera } from './api.js';
import { h, icon, ICONS, iconButton, setText, textButton } from './dom.js';
import { RangeSelection } from './range-selection.js';
import { RecordingPlayer, type PlaybackState } from './recording-player.js';
import { fetchEvents } from './events-api.js';
import { fetchRecordings, type RecordingStatus, type Recordings } from './recordings.js';
import { mayWatchRecordings, whoAmI } from './session.js';
import { Thumbnails } from './thumbnails.js';
import { gapTitle, TimelineTrack } from './timeline-track.js';
import {
  addDays,
  DAY,
  dayOf,
  follow,
  playableFrom,
  SECOND,
  spanAt,
  ZOOMS,
  zoomSpan,
  type Span,
} from './timeline-model.js';

/** While today is shown, its ranges are asked for again this often. */
const REFRESH_MS = 10_000;
const SPEEDS = [1, 2, 4, 8] as const;

const fullClock = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dayName = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });

export interface RecordingsPanelHost {
  /** Playback started (true) or the live picture is back (false). */
  playback(on: boolean): void;
  /** The panel appeared (the camera records or has recordings) or went away (refused). */
  shown(on: boolean): void;
}

export class RecordingsPanel {
  readonly element: HTMLElement;
  /** The recorded video and its wall-clock badge: the camera view puts them on its stage. */
  readonly video: HTMLVideoElement;
  readonly clock = h('span', { class: 'playback-clock', hidden: true });
  private readonly player: RecordingPlayer;
  private readonly thumbnails: Thumbnails;
  private readonly track: TimelineTrack;
  private readonly dateLabel = h('h2', { class: 'timeline-date' });
  private readonly recState = h('span', { class: 'rec-state', hidden: true });
  private readonly status = h('p', { class: 'timeline-status', role: 'status', 'aria-live': 'polite' });
  private readonly previousDay: HTMLButtonElement;
  private readonly nextDay: HTMLButtonElement;
  private readonly todayButton: HTMLButtonElement;
  private readonly zoomIn: HTMLButtonElement;
  private readonly zoomOut: HTMLButtonElement;
  private readonly playButton: HTMLButtonElement;
  private readonly liveButton: HTMLButtonElement;
  private readonly speedButtons: HTMLButtonElement[];
  private readonly selection: RangeSelection;

  private day: Span = dayOf(Date.now());
  private zoom = 0;
  private view: Span = this.day;
  private recordings: Recordings = { ...this.day, ranges: [], gaps: [] };
  /** The day's motion events, as marks on the timeline. */
  private events: { id: number; start: number; end: number | null; zones: string[] }[] = [];
  private playing = false;
  private visible = false;
  private refused = false;
  private probed = false;
  /** May this user watch the recordings, by api/me ('yes' also when it does not say). */
  private permission: 'unknown' | 'asking' | 'yes' = 'unknown';
  private latest: Camera | undefined;
  /** The server has listed recordings to this page once. */
  private listed = false;
  /** The day whose recordings are on screen (listed at least once). */
  private listedDay: number | undefined;
  private timer = 0;
  private fetching: AbortController | undefined;
  private closed = false;

  constructor(
    private readonly camera: string,
    private readonly host: RecordingsPanelHost,
  ) {
    this.thumbnails = new Thumbnails(camera);
    this.player = new RecordingPlayer(camera, {
      ranges: () => this.recordings.ranges,
      time: (t) => this.onTime(t),
      state: (state, message) => this.onPlayerState(state, message),
      forbidden: () => this.refuse(),
    });
    this.video = this.player.video;
    this.track = new TimelineTrack(
      { seek: (t) => this.seek(t), select: (span) => this.selection.set(span) },
      this.thumbnails,
    );

    this.previousDay = iconButton('Previous day', ICONS.previous, () => this.setDay(addDays(this.day.start, -1)));
    this.nextDay = iconButton('Next day', ICONS.next, () => this.setDay(addDays(this.day.start, 1)));
    this.todayButton = textButton('Today', () => this.setDay(dayOf(Date.now()).start));
    this.zoomOut = iconButton('Zoom out', ICONS.zoomOut, () => this.setZoom(this.zoom - 1));
    this.zoomIn = iconButton('Zoom in', ICONS.zoomIn, () => this.setZoom(this.zoom + 1));
    this.playButton = iconButton('Pause', ICONS.pause, () => this.togglePlay());
    this.playButton.hidden = true;
    this.liveButton = h(
      'button',
      { class: 'button live-button', type: 'button', title: 'Back to the live picture', 'aria-pressed': 'true' },
      icon(ICONS.live),
      h('span', {}, 'Live'),
    );
    this.liveButton.addEventListener('click', () => this.goLive());
    this.speedButtons = SPEEDS.map((speed) => {
      const b = textButton(`${speed}×`, () => this.setSpeed(speed));
      b.classList.add('speed');
      b.setAttribute('aria-label', `Speed ${speed}×`);
      b.setAttribute('aria-pressed', String(speed === 1));
      b.dataset.speed = String(speed);
      return b;
    });
    this.selection = new RangeSelection(camera, {
      track: this.track,
      playhead: () => (this.playing ? this.player.time : undefined),
      say: (text) => this.say(text),
    });
    this.element = h(
      'section',
      { class: 'timeline-panel', 'aria-label': 'Recordings', hidden: true },
      h(
        'div',
        { class: 'timeline-head' },
        h('div', { class: 'timeline-days' }, this.previousDay, this.dateLabel, this.nextDay, this.todayButton),
        this.recState,
        h('div', { class: 'timeline-zoom' }, this.zoomOut, this.zoomIn),
      ),
      this.track.element,
      h(
        'div',
        { class: 'timeline-controls' },
        h(
          'div',
          { class: 'timeline-play' },
          this.liveButton,
          this.playButton,
          h('div', { class: 'speeds', role: 'group', 'aria-label': 'Playback speed' }, ...this.speedButtons),
        ),
        this.selection.element,
      ),
      this.status,
    );
    this.renderDay();
  }

  /** The camera as the API describes it now (the panel appears when it records). */
  update(camera: Camera): void {
    const recording = (camera as Camera & { recording?: RecordingStatus | null }).recording ?? null;
    this.renderRecState(recording);
    if (this.refused || this.closed) return;
    this.latest = camera;
    if (this.permission === 'unknown') {
      // What the server says of this user first (api/me): a user refused the recordings is not even asked.
      this.permission = 'asking';
      void whoAmI().then((me) => {
        if (mayWatchRecordings(me, this.camera) === false) return this.refuse();
        this.permission = 'yes';
        if (this.latest) this.update(this.latest);
      });
    }
    if (this.permission !== 'yes') return;
    if (recording) this.reveal();
    else if (!this.probed && !this.visible) {
      // Not recorded now: shown still when it was recorded lately.
      this.probed = true;
      const now = Date.now();
      void fetchRecordings(this.camera, { start: now - DAY, end: now }).then((answer) => {
        if (answer.kind === 'forbidden') this.refuse();
        else if (answer.kind === 'ok' && answer.recordings.ranges.length > 0) this.reveal();
      });
    }
  }

  destroy(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.fetching?.abort();
    this.player.stop();
    this.thumbnails.close();
    this.element.remove();
  }

  /** Keys of the whole view: space pauses the recording, `l` goes live. */
  onKey(event: KeyboardEvent): boolean {
    if (this.element.hidden) return false;
    if (event.key === 'l' && this.playing) this.goLive();
    else if (event.key === ' ' && this.playing && !(event.target instanceof HTMLButtonElement)) this.togglePlay();
    else return false;
    event.preventDefault();
    return true;
  }

  /** Starts listing the recordings; the panel shows with the first answer (a refusal keeps it hidden). */
  private reveal(): void {
    if (this.visible || this.closed) return;
    this.visible = true;
    void this.load();
    this.timer = window.setInterval(() => this.tick(), REFRESH_MS);
  }

  /** The server refuses this user the recordings: hidden, quietly, for good. */
  private refuse(): void {
    this.refused = true;
    // Said on the element too: a hidden panel looks the same whether refused or not yet answered.
    this.element.dataset.refused = '';
    clearInterval(this.timer);
    this.fetching?.abort();
    if (this.playing) this.goLive();
    this.visible = false;
    if (!this.element.hidden) {
      this.element.hidden = true;
      this.host.shown(false);
    }
  }

  private get isToday(): boolean {
    const now = Date.now();
    return now >= this.day.start && now < this.day.end;
  }

  private tick(): void {
    if (!this.isToday || document.visibilityState === 'hidden') return;
    void this.load();
  }

  private async load(): Promise<void> {
    this.fetching?.abort();
    const fetching = new AbortController();
    this.fetching = fetching;
    const day = this.day;
    const [answer, events] = await Promise.all([
      fetchRecordings(this.camera, day, fetching.signal),
      fetchEvents({ camera: this.camera, start: day.start, end: day.end, limit: 1000 }, fetching.signal),
    ]);
    if (fetching.signal.aborted || this.closed || day !== this.day) return;
    this.events = events.kind === 'ok' ? events.events : [];
    if (answer.kind === 'forbidden') {
      // A link for one clip sees its own time only: another day is refused, not the timeline.
      if (!this.listed) return this.refuse();
      this.recordings = { ...day, ranges: [], gaps: [] };
      this.renderTrack();
      this.say('The recordings of this day are not available.');
      return;
    }
    if (answer.kind === 'error') {
      // Kept quiet while the last answer is on screen; the next refresh tries again.
      if (this.listedDay !== day.start) this.say(`The recordings could not be listed: ${answer.message}`);
      return;
    }
    if (!this.listed) {
      this.listed = true;
      this.element.hidden = false;
      this.host.shown(true);
    }
    this.recordings = answer.recordings;
    this.listedDay = day.start;
    this.renderTrack();
    if (!this.playing && this.recordings.ranges.length === 0) this.say('Nothing recorded on this day.');
    else if (!this.playing && this.status.dataset.kind === 'empty') this.say('');
  }

  private setDay(start: number): void {
    const day = dayOf(start);
    if (day.start > Date.now()) return;
    this.day = day;
    this.recordings = { ...day, ranges: [], gaps: [] };
    this.events = [];
    this.view = zoomSpan(day, ZOOMS[this.zoom] ?? DAY, this.centre());
    this.renderDay();
    this.say('');
    void this.load();
  }

  private setZoom(zoom: number): void {
    this.zoom = Math.max(0, Math.min(ZOOMS.length - 1, zoom));
    this.view = zoomSpan(this.day, ZOOMS[this.zoom] ?? DAY, this.centre());
    this.zoomIn.disabled = this.zoom === ZOOMS.length - 1;
    this.zoomOut.disabled = this.zoom === 0;
    this.renderTrack();
  }

  /** What zooming centres on: the playhead, else now (today), else the middle of the recorded part. */
  private centre(): number {
    const t = this.player.time;
    if (this.playing && t !== undefined && t >= this.day.start && t < this.day.end) return t;
    const now = Date.now();
    if (now < this.day.end) return now;
    const ranges = this.recordings.ranges;
    const last = ranges[ranges.length - 1];
    return last ? last.end : (this.day.start + this.day.end) / 2;
  }

  private renderDay(): void {
    const today = dayOf(Date.now()).start;
    const label =
      this.day.start === today
        ? 'Today'
        : this.day.start === addDays(today, -1)
          ? 'Yesterday'
          : dayName.format(this.day.start);
    setText(this.dateLabel, label);
    this.dateLabel.title = dayName.format(this.day.start);
    this.nextDay.disabled = this.day.end > Date.now();
    this.todayButton.disabled = this.day.start === today;
    this.zoomIn.disabled = this.zoom === ZOOMS.length - 1;
    this.zoomOut.disabled = this.zoom === 0;
    this.renderTrack();
  }

  private renderTrack(): void {
    this.track.setData(this.day, this.view, this.recordings.ranges, this.recordings.gaps, Date.now(), this.events);
    this.track.setPlayhead(this.playing ? this.player.time : undefined);
  }

  private renderRecState(status: RecordingStatus | null): void {
    this.recState.hidden = !status;
    if (!status) return;
    this.recState.dataset.state = status.state;
    const words = { recording: 'Recording', waiting: 'Waiting for video', error: 'Not recording' };
    setText(this.recState, words[status.state] ?? status.state);
    this.recState.title = status.error ?? '';
  }

  private seek(t: number): void {
    const now = Date.now();
    // A click at "now" plays the last seconds recorded.
    const time = Math.min(t, now - 10 * SECOND);
    const gap = spanAt(time, this.recordings.gaps);
    const start = playableFrom(time, this.recordings.ranges);
    if (gap) this.say(`${gapTitle(gap)}${start !== undefined ? ` — playing from ${timeOnly.format(start)}` : ''}`);
    else if (this.recordings.ranges.length > 0 && start === undefined) {
      this.say(`Nothing recorded after ${timeOnly.format(time)}.`);
      return;
    } else this.say('');
    this.setPlaying(true);
    this.track.setPlayhead(start ?? time);
    void this.player.playFrom(time);
  }

  private goLive(): void {
    this.player.stop();
    this.setPlaying(false);
    this.say('');
  }

  private togglePlay(): void {
    if (this.video.paused || this.player.state === 'ended') this.player.resume();
    else this.player.pause();
  }

  private setSpeed(speed: number): void {
    this.player.playbackRate = speed;
    for (const b of this.speedButtons) b.setAttribute('aria-pressed', String(b.dataset.speed === String(speed)));
    this.renderClock(this.player.time);
  }

  private setPlaying(on: boolean): void {
    if (this.playing === on) return;
    this.playing = on;
    this.liveButton.setAttribute('aria-pressed', String(!on));
    this.playButton.hidden = !on;
    this.video.hidden = !on;
    this.clock.hidden = !on;
    if (!on) this.track.setPlayhead(undefined);
    this.host.playback(on);
  }

  private onTime(t: number): void {
    if (!this.playing) return;
    if (t >= this.day.end || t < this.day.start) {
      // Played past midnight: the timeline turns the page.
      this.day = dayOf(t);
      this.recordings = { ...this.day, ranges: [], gaps: [] };
      this.view = zoomSpan(this.day, ZOOMS[this.zoom] ?? DAY, t);
      this.renderDay();
      void this.load();
    }
    const view = follow(this.view, this.day, t);
    if (view !== this.view) {
      this.view = view;
      this.renderTrack();
    }
    this.track.setPlayhead(t);
    this.renderClock(t);
  }

  private renderClock(t: number | undefined): void {
    if (t === undefined) return;
    const rate = this.player.playbackRate;
    setText(this.clock, `${fullClock.format(t)}${rate !== 1 ? ` · ${rate}×` : ''}`);
    this.clock.dataset.time = String(t);
    this.clock.title = 'Recorded video: the time it was recorded';
  }

  private onPlayerState(state: PlaybackState, message?: string): void {
    const paused = state === 'paused' || state === 'ended' || state === 'error';
    this.playButton.replaceChildren(icon(paused ? ICONS.play : ICONS.pause));
    this.playButton.title = paused ? 'Play' : 'Pause';
    this.playButton.setAttribute('aria-label', paused ? 'Play' : 'Pause');
    this.clock.dataset.state = state;
    if (message) this.say(message);
    else if (state === 'loading' && this.status.textContent === '') this.say('Loading the recording…');
    else if (state === 'playing' && this.status.dataset.kind === 'loading') this.say('');
  }

  private say(text: string): void {
    setText(this.status, text);
    let kind = '';
    if (text === 'Loading the recording…') kind = 'loading';
    else if (text.startsWith('Nothing recorded on')) kind = 'empty';
    this.status.dataset.kind = kind;
  }
}
