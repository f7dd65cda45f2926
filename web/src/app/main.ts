/** The viewer page: the connection banner, and the view the hash route names. */
import './styles.css';
import { ConnectionBanner } from './banner.js';
import { CameraFeed } from './camera-feed.js';
import { CameraView } from './camera-view.js';
import { EventsView } from './events-view.js';
import { GridView } from './grid-view.js';
import { ZoneEditorView } from './zone-editor.js';
import { currentRoute, onRouteChange, type Route } from './router.js';

interface View {
  element: HTMLElement;
  destroy(): void;
}

const app = document.getElementById('app');
if (!app) throw new Error('#app is missing from the page');

const feed = new CameraFeed();
const banner = new ConnectionBanner(feed);
app.append(banner.element);

let view: View | undefined;

function show(route: Route): void {
  view?.destroy();
  view =
    route.view === 'camera'
      ? new CameraView(route.id, feed)
      : route.view === 'events'
        ? new EventsView(feed)
        : route.view === 'zones'
          ? new ZoneEditorView(route.id)
          : new GridView(feed);
  if (route.view === 'grid') document.title = 'camrelay';
  app?.append(view.element);
  window.scrollTo(0, 0);
  feed.refresh();
  // Once the new view's players have connected, the viewer counts include them.
  window.setTimeout(() => feed.refresh(), 1500);
}

show(currentRoute());
onRouteChange(show);
feed.start();
