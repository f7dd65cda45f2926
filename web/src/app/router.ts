/** Hash routes: `#/` the grid, `#/camera/<id>` one camera. The server only ever serves `/`. */

export type Route = { view: 'grid' } | { view: 'camera'; id: string };

export function currentRoute(): Route {
  const match = /^#\/camera\/(.+)$/.exec(location.hash);
  if (match?.[1]) {
    try {
      return { view: 'camera', id: decodeURIComponent(match[1]) };
    } catch {
      // a malformed escape: fall through to the grid
    }
  }
  return { view: 'grid' };
}

export function cameraHref(id: string): string {
  return `#/camera/${encodeURIComponent(id)}`;
}

export function onRouteChange(listener: (route: Route) => void): void {
  window.addEventListener('hashchange', () => listener(currentRoute()));
}
