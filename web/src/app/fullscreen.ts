/**
 * Fullscreen for an element, with a CSS stand-in where the browser has no
 * element fullscreen (iPhone Safari): the element then covers the viewport.
 */

const PSEUDO_CLASS = 'pseudo-fullscreen';

export function isFullscreen(element: HTMLElement): boolean {
  return document.fullscreenElement === element || element.classList.contains(PSEUDO_CLASS);
}

export async function toggleFullscreen(element: HTMLElement): Promise<void> {
  if (element.classList.contains(PSEUDO_CLASS)) {
    element.classList.remove(PSEUDO_CLASS);
    element.dispatchEvent(new Event('fullscreenchange', { bubbles: true }));
    return;
  }
  if (document.fullscreenElement) {
    await document.exitFullscreen();
    return;
  }
  if (typeof element.requestFullscreen === 'function' && document.fullscreenEnabled) {
    try {
      await element.requestFullscreen({ navigationUI: 'hide' });
      return;
    } catch {
      // refused (e.g. not from a user gesture in an iframe): fall back to covering the viewport
    }
  }
  element.classList.add(PSEUDO_CLASS);
  element.dispatchEvent(new Event('fullscreenchange', { bubbles: true }));
}
