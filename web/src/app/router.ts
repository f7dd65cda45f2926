/**
 * Hash routes: `#/` the grid, `#/camera/<id>` one camera, `#/events` every camera's motion events,
 * `#/zones/<id>` a camera's motion zone editor. The server only ever serves `/`.
 */

export type Route =
  { view: 'grid' } | { view: 'camera'; id: string } | { view: 'events' } | { view: 'zones'; id: string };

export function currentRoute(): Route {
  if (location.hash === '#/events') return { view: 'events' };
  const match = /^#\/(camera|zones)\/(.+)$/.exec(location.hash);
  if (match?.[2]) {
    try {
      return { view: match[1] === 'zones' ? 'zones' : 'camera', id: decodeURIComponent(match[2]) };
    } catch {
      // a malformed escape: fall through to the grid
    }
  }
  return { view: 'grid' };
}

export function zonesHref(id: string): string {
  return `#/zones/${encodeURIComponent(id)}`;
}

export function cameraHref(id: string): string {
  return `#/camera/${encodeURIComponent(id)}`;
}

export function onRouteChange(listener: (route: Route) => void): void {
  window.addEventListener('hashchange', () => listener(currentRoute()));
}
