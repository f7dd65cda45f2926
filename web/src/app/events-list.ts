/**
 * A list of motion events, newest first: a thumbnail (the event's snapshot), the time and how long it
 * lasted, the camera, the zones it touched. Of one camera (the camera view) or of every camera (the
 * events page), filterable by camera, zone and period; kept current by the live feed. A click plays
 * the event's clip (clip-dialog.ts).
 */
import { ClipDialog } from './clip-dialog.js';
import { h, setText } from './dom.js';
import { fetchEvents, snapshotUrl, watchEvents, type MotionEvent } from './events-api.js';

const HOUR = 3_600_000;
const PERIODS = [
  { label: 'Last hour', ms: HOUR },
  { label: 'Last 24 hours', ms: 24 * HOUR },
  { label: 'Last 7 days', ms: 7 * 24 * HOUR },
  { label: 'Last 30 days', ms: 30 * 24 * HOUR },
] as const;
const LIMIT = 200;

const when = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export interface EventsListOptions {
  /** One camera's events; without it, every camera's, with a camera filter. */
  camera?: string;
  /** Camera ids and names for the filter and the rows. */
  cameras?: () => { id: string; name: string }[];
  /** Whether the list has events to show (false too when the server keeps none, or refuses them). */
  shown?(on: boolean): void;
}

export class EventsList {
  readonly element: HTMLElement;
  private readonly list = h('ol', { class: 'events-list', 'aria-label': 'Motion events' });
  private readonly status = h('p', { class: 'events-status', role: 'status' });
  private readonly cameraFilter = h('select', { class: 'events-camera', 'aria-label': 'Camera' });
  private readonly zoneFilter = h('input', {
    class: 'events-zone',
    type: 'search',
    placeholder: 'Zone',
    'aria-label': 'Zone',
  });
  private readonly periodFilter = h('select', { class: 'events-period', 'aria-label': 'Period' });
  private readonly dialog = new ClipDialog();
  private events: MotionEvent[] = [];
  private fetching: AbortController | undefined;
  private readonly stopLive: () => void;
  private closed = false;

  constructor(private readonly options: EventsListOptions = {}) {
    for (const [i, p] of PERIODS.entries())
      this.periodFilter.append(h('option', { value: i, selected: i === 1 }, p.label));
    this.cameraFilter.hidden = options.camera !== undefined;
    this.refreshCameras();
    this.cameraFilter.addEventListener('change', () => void this.load());
    this.periodFilter.addEventListener('change', () => void this.load());
    this.zoneFilter.addEventListener('input', () => this.render());
    this.element = h(
      'section',
      { class: 'events-panel', 'aria-label': 'Motion events' },
      h(
        'div',
        { class: 'events-head' },
        h('h2', { class: 'events-title' }, 'Motion events'),
        h('div', { class: 'events-filters' }, this.cameraFilter, this.zoneFilter, this.periodFilter),
      ),
      this.status,
      this.list,
      this.dialog.element,
    );
    this.stopLive = watchEvents((change, event) => this.onLive(change, event), options.camera);
    void this.load();
  }

  destroy(): void {
    this.closed = true;
    this.fetching?.abort();
    this.stopLive();
    this.dialog.close();
    this.element.remove();
  }

  /** The cameras changed (their names, the filter's choices). */
  refreshCameras(): void {
    if (this.options.camera !== undefined) return;
    const cameras = this.options.cameras?.() ?? [];
    const chosen = this.cameraFilter.value;
    const options = [h('option', { value: '' }, 'All cameras')];
    for (const c of cameras) options.push(h('option', { value: c.id, selected: c.id === chosen }, c.name));
    const same =
      this.cameraFilter.options.length === options.length &&
      options.every((o, i) => this.cameraFilter.options[i]?.value === o.value);
    if (!same) this.cameraFilter.replaceChildren(...options);
    this.render();
  }

  private get camera(): string | undefined {
    return this.options.camera ?? (this.cameraFilter.value || undefined);
  }

  private async load(): Promise<void> {
    this.fetching?.abort();
    const fetching = new AbortController();
    this.fetching = fetching;
    const period = PERIODS[Number(this.periodFilter.value)] ?? PERIODS[1];
    const now = Date.now();
    const camera = this.camera;
    const answer = await fetchEvents(
      { ...(camera ? { camera } : {}), start: now - period.ms, end: now + 1000, limit: LIMIT },
      fetching.signal,
    );
    if (fetching.signal.aborted || this.closed) return;
    if (answer.kind !== 'ok') {
      this.events = [];
      this.render();
      const words = {
        forbidden: 'These events are not available to you.',
        missing: 'This server keeps no motion events.',
        error: `The events could not be listed: ${answer.kind === 'error' ? answer.message : ''}`,
      };
      setText(this.status, words[answer.kind]);
      if (answer.kind !== 'error') this.options.shown?.(false);
      return;
    }
    this.events = answer.events;
    this.options.shown?.(this.events.length > 0);
    this.render();
  }

  private onLive(change: string, event: MotionEvent): void {
    if (this.camera && event.camera !== this.camera) return;
    const i = this.events.findIndex((e) => e.id === event.id);
    if (i >= 0) this.events[i] = event;
    else if (change !== 'end' || event.end !== null) this.events.unshift(event);
    this.events.sort((a, b) => b.start - a.start);
    if (this.events.length > LIMIT) this.events.length = LIMIT;
    this.options.shown?.(true);
    this.render();
  }

  private render(): void {
    const zone = this.zoneFilter.value.trim().toLowerCase();
    const shown = this.events.filter((e) => !zone || e.zones.some((z) => z.toLowerCase().includes(zone)));
    const names = new Map((this.options.cameras?.() ?? []).map((c) => [c.id, c.name]));
    this.list.replaceChildren(...shown.map((e) => this.row(e, names.get(e.camera) ?? e.camera)));
    setText(
      this.status,
      shown.length > 0
        ? `${shown.length} ${shown.length === 1 ? 'event' : 'events'}`
        : this.events.length > 0
          ? 'No event touched that zone.'
          : 'No motion in this period.',
    );
  }

  private row(event: MotionEvent, cameraName: string): HTMLLIElement {
    const snapshot = snapshotUrl(event);
    const thumb = snapshot
      ? h('img', { class: 'event-thumb', src: snapshot, alt: '', loading: 'lazy', width: 160, height: 90 })
      : h('div', { class: 'event-thumb empty', 'aria-hidden': 'true' });
    const duration = event.end === null ? 'now' : formatSeconds(event.end - event.start);
    const open = h(
      'button',
      {
        class: 'event-open',
        type: 'button',
        title: event.clip ? 'Play the clip' : 'No recording of this event',
        'data-event': event.id,
        disabled: !event.clip,
      },
      thumb,
      h(
        'span',
        { class: 'event-text' },
        h('time', { class: 'event-time', datetime: new Date(event.start).toISOString() }, when.format(event.start)),
        h(
          'span',
          { class: 'event-meta' },
          [this.options.camera ? '' : cameraName, duration].filter(Boolean).join(' · '),
        ),
        h('span', { class: 'event-zones' }, ...event.zones.map((z) => h('span', { class: 'zone-chip' }, z))),
      ),
    );
    open.addEventListener('click', () => this.dialog.open(event, cameraName));
    return h('li', { class: 'event', 'data-state': event.end === null ? 'open' : 'closed' }, open);
  }
}

function formatSeconds(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
