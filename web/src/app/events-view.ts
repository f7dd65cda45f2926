/** `#/events`: every camera's motion events in one list (events-list.ts), filterable by camera, zone and period. */
import type { Camera } from './api.js';
import type { CameraFeed } from './camera-feed.js';
import { h, icon, ICONS } from './dom.js';
import { EventsList } from './events-list.js';

export class EventsView {
  readonly element: HTMLElement;
  private readonly list: EventsList;
  private cameras: Camera[] = [];
  private readonly unsubscribe: () => void;

  constructor(feed: CameraFeed) {
    this.list = new EventsList({ cameras: () => this.cameras.map((c) => ({ id: c.id, name: c.name })) });
    const back = h(
      'a',
      { class: 'button back', href: '#/', title: 'All cameras' },
      icon(ICONS.back),
      h('span', { class: 'label' }, 'All cameras'),
    );
    this.element = h(
      'div',
      { class: 'view events-view' },
      h('header', { class: 'toolbar' }, back, h('h1', { class: 'camera-title' }, 'Motion events')),
      h('main', { class: 'events-main' }, this.list.element),
    );
    document.title = 'Motion events · camrelay';
    this.unsubscribe = feed.subscribe((state) => {
      if (!state.cameras) return;
      this.cameras = state.cameras;
      this.list.refreshCameras();
    });
  }

  destroy(): void {
    this.unsubscribe();
    this.list.destroy();
    this.element.remove();
  }
}
