/**
 * `#/camera/<id>`: one camera as large as the screen allows, with fullscreen,
 * a snapshot download and the player's stats overlay; below it, for a recorded
 * camera, the recordings timeline (recordings-panel.ts).
 */
import '../player/index.js';
import type { Camera } from './api.js';
import type { CameraFeed, FeedState } from './camera-feed.js';
import { tokenAttribute } from './credentials.js';
import { h, icon, ICONS, setText } from './dom.js';
import { formatOfflineSince } from './format.js';
import { isFullscreen, toggleFullscreen } from './fullscreen.js';
import { fetchMotion } from './events-api.js';
import { EventsList } from './events-list.js';
import { RecordingsPanel } from './recordings-panel.js';
import { zonesHref } from './router.js';
import { createBadge, setBadge } from './status.js';
import { watchPlayer, type PlayerView } from './watch-player.js';

const STATS_KEY = 'camrelay.stats';

export class CameraView {
  readonly element: HTMLElement;
  private readonly player = h('camrelay-player', { fit: 'contain', ...tokenAttribute() });
  private readonly stage: HTMLDivElement;
  private readonly title = h('h1', { class: 'camera-title' });
  private readonly badge = createBadge();
  private readonly subtitle = h('p', { class: 'camera-subtitle' });
  private readonly notice = h('p', { class: 'notice', hidden: true, role: 'status' });
  private readonly statsButton: HTMLButtonElement;
  private readonly soundButton: HTMLButtonElement;
  private readonly fullscreenButton: HTMLButtonElement;
  private readonly snapshot: HTMLAnchorElement;
  private camera: Camera | undefined;
  private known: boolean | undefined;
  private view: PlayerView = { frame: undefined, offline: undefined };
  private recordings: RecordingsPanel | undefined;
  /** This camera's motion events, below the timeline (hidden while the server lists none for it). */
  private readonly events: EventsList;
  /** A recording plays on the stage instead of the live picture. */
  private playback = false;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly id: string,
    feed: CameraFeed,
  ) {
    this.player.camera = id;
    this.player.showStats = localStorage.getItem(STATS_KEY) !== 'off';
    this.statsButton = button('Stats', ICONS.stats, () => this.toggleStats());
    this.statsButton.setAttribute('aria-pressed', String(this.player.showStats));
    // Muted until asked: the click is the user gesture browsers want before a page plays sound.
    this.player.muted = true;
    this.soundButton = button('Sound', ICONS.sound, () => this.toggleSound());
    this.soundButton.setAttribute('aria-pressed', 'false');
    this.fullscreenButton = button('Fullscreen', ICONS.fullscreen, () => void toggleFullscreen(this.stage));
    this.snapshot = h(
      'a',
      { class: 'button', href: this.player.snapshotUrl, download: `${id}.jpg`, title: 'Download a snapshot (JPEG)' },
      icon(ICONS.camera),
      h('span', { class: 'label' }, 'Snapshot'),
    );
    // The file name carries the time it was taken.
    this.snapshot.addEventListener('click', () => {
      this.snapshot.href = this.player.snapshotUrl;
      this.snapshot.download = `${id}-${fileStamp(new Date())}.jpg`;
    });
    const zones = h(
      'a',
      { class: 'button', href: zonesHref(id), title: 'Motion zones: draw them, see the motion the detector sees' },
      h('span', { class: 'label' }, 'Zones'),
    );
    const exit = h(
      'button',
      { class: 'exit-fullscreen', type: 'button', 'aria-label': 'Exit fullscreen' },
      icon(ICONS.exitFullscreen),
    );
    exit.addEventListener('click', () => void toggleFullscreen(this.stage));
    // The badge rides on the picture, as on the tiles: visible in fullscreen too, and the title keeps the toolbar's room.
    this.stage = h('div', { class: 'stage' }, this.player, this.badge, exit);
    this.stage.addEventListener('dblclick', () => void toggleFullscreen(this.stage));

    const back = h(
      'a',
      { class: 'button back', href: '#/', title: 'All cameras' },
      icon(ICONS.back),
      h('span', { class: 'label' }, 'All cameras'),
    );
    this.element = h(
      'div',
      { class: 'view camera-view' },
      h(
        'header',
        { class: 'toolbar' },
        back,
        h('div', { class: 'camera-heading' }, this.title, this.subtitle),
        h('div', { class: 'actions' }, this.soundButton, this.statsButton, zones, this.snapshot, this.fullscreenButton),
      ),
      this.notice,
      this.stage,
    );
    // Shown for a camera that detects motion, or has events from when it did.
    let detects = false;
    let listed = false;
    const showEvents = (): void => {
      this.events.element.hidden = !(detects || listed);
    };
    this.events = new EventsList({
      camera: id,
      shown: (on) => {
        listed = on;
        showEvents();
      },
    });
    this.events.element.hidden = true;
    this.element.append(this.events.element);
    void fetchMotion(id).then((motion) => {
      detects = motion?.enabled === true;
      showEvents();
    });

    const onFullscreen = (): void => this.renderFullscreen();
    document.addEventListener('fullscreenchange', onFullscreen);
    this.stage.addEventListener('fullscreenchange', onFullscreen);
    const onKey = (event: KeyboardEvent): void => this.onKey(event);
    document.addEventListener('keydown', onKey);
    this.cleanups.push(
      () => this.recordings?.destroy(),
      () => this.events.destroy(),
      () => document.removeEventListener('fullscreenchange', onFullscreen),
      () => document.removeEventListener('keydown', onKey),
      watchPlayer(this.player, (view) => {
        this.view = view;
        this.render();
      }),
      feed.subscribe((state) => this.onFeed(state)),
    );
  }

  destroy(): void {
    for (const cleanup of this.cleanups) cleanup();
    if (document.fullscreenElement === this.stage) void document.exitFullscreen();
    this.element.remove();
  }

  private onFeed(state: FeedState): void {
    if (!state.cameras) return;
    this.camera = state.cameras.find((c) => c.id === this.id);
    this.known = this.camera !== undefined;
    if (this.camera) this.recordingsPanel().update(this.camera);
    this.render();
  }

  /** Made once the camera is known; it stays hidden unless the camera records or has recordings. */
  private recordingsPanel(): RecordingsPanel {
    if (this.recordings) return this.recordings;
    const panel = new RecordingsPanel(this.id, {
      playback: (on) => {
        this.playback = on;
        // Hidden, the live player pauses (and lets go of its connection after a while).
        this.player.hidden = on;
        this.badge.hidden = on;
        this.stage.classList.toggle('is-playback', on);
        this.render();
      },
      shown: (on) => this.element.classList.toggle('has-timeline', on),
    });
    this.stage.append(panel.video, panel.clock);
    // Above the events list: the timeline belongs with the picture.
    this.events.element.before(panel.element);
    this.recordings = panel;
    return panel;
  }

  private onKey(event: KeyboardEvent): void {
    if (event.ctrlKey || event.metaKey || event.altKey || event.target instanceof HTMLInputElement) return;
    if (this.recordings?.onKey(event)) return;
    if (event.key === 'f') void toggleFullscreen(this.stage);
    else if (event.key === 'i') this.toggleStats();
    else if (event.key === 'Escape' && !isFullscreen(this.stage)) location.hash = '#/';
  }

  /** Unmuting asks the server for the camera's audio (a new connection); a camera without sends none. */
  private toggleSound(): void {
    const on = this.player.muted;
    this.player.muted = !on;
    this.soundButton.setAttribute('aria-pressed', String(on));
  }

  private toggleStats(): void {
    const on = !this.player.showStats;
    this.player.showStats = on;
    this.statsButton.setAttribute('aria-pressed', String(on));
    localStorage.setItem(STATS_KEY, on ? 'on' : 'off');
  }

  private renderFullscreen(): void {
    const on = isFullscreen(this.stage);
    this.fullscreenButton.setAttribute('aria-pressed', String(on));
    this.stage.classList.toggle('is-fullscreen', on);
  }

  private render(): void {
    const camera = this.camera;
    const state = this.player.state;
    setText(this.title, camera?.name ?? this.id);
    this.player.setAttribute('aria-label', `Live video: ${camera?.name ?? this.id}`);
    document.title = `${camera?.name ?? this.id} · camrelay`;
    setBadge(this.badge, state);
    const size =
      this.view.frame && this.view.frame.width > 0
        ? `${this.view.frame.width}×${this.view.frame.height}`
        : camera?.width
          ? `${camera.width}×${camera.height}`
          : '';
    setText(
      this.subtitle,
      [camera?.kind, size, camera ? `${camera.viewerCount} ${camera.viewerCount === 1 ? 'viewer' : 'viewers'}` : '']
        .filter(Boolean)
        .join(' · '),
    );

    let notice = '';
    if (this.known === false) notice = `There is no camera “${this.id}” on this server.`;
    else if (state === 'offline' && !this.playback) {
      const offline = this.view.offline?.cause === 'camera' ? this.view.offline : undefined;
      const since = offline?.since ?? camera?.offlineSince;
      const reason = offline?.reason ?? camera?.offlineReason;
      notice = since ? formatOfflineSince(since) + (reason ? ` — ${reason}` : '') : 'The camera is offline.';
    }
    this.notice.hidden = notice === '';
    setText(this.notice, notice);
    this.notice.dataset.tone = this.known === false ? 'neutral' : 'offline';
    this.stage.hidden = this.known === false;
  }
}

function button(label: string, path: string, onClick: () => void): HTMLButtonElement {
  const b = h(
    'button',
    { class: 'button', type: 'button', title: label },
    icon(path),
    h('span', { class: 'label' }, label),
  );
  b.addEventListener('click', onClick);
  return b;
}

/** 20250103-140211: sorts by time in a file manager. */
function fileStamp(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}
