/** One camera in the grid: its live picture, name, state, measured rate and REC badge; a link to its own view. */
import '../player/index.js';
import type { Camera } from './api.js';
import { tokenAttribute } from './credentials.js';
import { h, setText } from './dom.js';
import { formatClock, formatOfflineSince, formatRate } from './format.js';
import type { RecordingStatus } from './recordings.js';
import { cameraHref } from './router.js';
import { tileQuality } from './tile-quality.js';
import { createBadge, setBadge } from './status.js';
import { watchPlayer, type PlayerView } from './watch-player.js';

export class Tile {
  readonly element: HTMLAnchorElement;
  private readonly player = h('camrelay-player', { fit: 'contain', ...tokenAttribute() });
  private readonly badge = createBadge();
  /** Shown while the camera is recorded: its recording state, the error in its title. */
  private readonly rec = h('span', { class: 'rec-badge', hidden: true });
  /** Shown while the camera's detector sees motion (motion-watch.ts). */
  private readonly motion = h('span', { class: 'motion-badge', hidden: true, title: 'Motion now' }, 'MOTION');
  private readonly name = h('span', { class: 'tile-name' });
  private readonly detail = h('span', { class: 'tile-detail' });
  private readonly rate = h('span', { class: 'tile-rate' });
  private readonly note = h('p', { class: 'tile-note', hidden: true });
  private camera: Camera;
  private view: PlayerView = { frame: undefined, offline: undefined };
  private readonly unwatch: () => void;

  /** `changed` is told whenever the tile's state may have changed (the grid counts live tiles). */
  constructor(
    camera: Camera,
    private readonly changed: () => void,
  ) {
    this.camera = camera;
    this.player.camera = camera.id;
    this.player.setAttribute('quality', tileQuality(camera));
    this.player.muted = true; // a wall of cameras is silent (and browsers let nothing play sound unasked)
    this.player.setAttribute('aria-hidden', 'true'); // the link's text names the camera
    this.element = h(
      'a',
      { class: 'tile', href: cameraHref(camera.id), 'data-camera': camera.id },
      h('div', { class: 'tile-media' }, this.player, this.badge, this.rec, this.motion),
      h('div', { class: 'tile-caption' }, h('div', { class: 'tile-title' }, this.name, this.detail), this.rate),
      this.note,
    );
    this.unwatch = watchPlayer(this.player, (view) => {
      this.view = view;
      this.render();
      this.changed();
    });
    this.render();
  }

  /** Live by the player's own account; by the server's while the player is paused (scrolled away). */
  get live(): boolean {
    const state = this.player.state;
    return state === 'live' || (state === 'paused' && this.camera.online);
  }

  update(camera: Camera): void {
    this.camera = camera;
    const quality = tileQuality(camera);
    if (this.player.getAttribute('quality') !== quality) this.player.setAttribute('quality', quality);
    this.render();
  }

  /** Marks the camera in motion now (or not). */
  setMotion(on: boolean): void {
    if (this.motion.hidden === !on) return;
    this.motion.hidden = !on;
    this.element.dataset.motion = String(on);
  }

  destroy(): void {
    this.unwatch();
    this.element.remove();
  }

  private render(): void {
    const camera = this.camera;
    const state = this.player.state;
    setBadge(this.badge, state);
    this.element.dataset.state = state;
    renderRec(this.rec, (camera as Camera & { recording?: RecordingStatus | null }).recording ?? null);
    setText(this.name, camera.name);
    const size = camera.width && camera.height ? `${camera.width}×${camera.height}` : '';
    setText(this.detail, [camera.kind, size].filter(Boolean).join(' · '));
    const frame = this.view.frame;
    setText(this.rate, state === 'live' && frame ? formatRate(frame.fps, frame.latencyMs) : '');
    // The camera's own word on the outage: from the player, or from the API while the player is paused.
    const offline = this.view.offline?.cause === 'camera' ? this.view.offline : undefined;
    const since = offline?.since ?? (state === 'offline' || state === 'paused' ? camera.offlineSince : null);
    const reason = offline?.reason ?? camera.offlineReason;
    const showNote = since !== null && (state === 'offline' || (state === 'paused' && camera.state === 'offline'));
    this.note.hidden = !showNote;
    if (showNote) {
      setText(this.note, formatOfflineSince(since) + (reason ? ` — ${reason}` : ''));
      this.note.title = reason ?? '';
    }
  }
}

/** The REC badge: hidden for a camera that is not recorded; "REC" while recording; the error in words and title. */
export function renderRec(badge: HTMLElement, status: RecordingStatus | null): void {
  badge.hidden = !status;
  if (!status) return;
  badge.dataset.state = status.state;
  let text = 'REC';
  let title = `Recording since ${formatClock(status.since)}`;
  if (status.state === 'waiting') {
    text = 'REC …';
    title = 'Recording: waiting for video from the camera';
  } else if (status.state === 'error') {
    text = 'REC ✕';
    title = `Not recording: ${status.error ?? 'error'}`;
  }
  setText(badge, text);
  badge.title = title;
  badge.setAttribute('aria-label', title);
}
