/**
 * The player's shadow DOM: canvas (WebSocket frames), img (MJPEG), the
 * message shown in place of a picture, and the stats overlay. Parts are
 * exposed for styling from the page (::part(stats), …).
 */
import { PLAYER_CSS } from './styles.js';

export interface PlayerView {
  canvas: HTMLCanvasElement;
  img: HTMLImageElement;
  message: HTMLDivElement;
  messageText: HTMLSpanElement;
  spinner: HTMLDivElement;
  stats: HTMLDivElement;
}

export function buildView(host: HTMLElement): PlayerView {
  const root = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = PLAYER_CSS;
  const canvas = part(document.createElement('canvas'), 'canvas');
  canvas.setAttribute('role', 'img');
  const img = part(document.createElement('img'), 'img');
  img.alt = '';
  img.hidden = true;
  const message = part(document.createElement('div'), 'message', 'message');
  message.setAttribute('role', 'status');
  const spinner = part(document.createElement('div'), undefined, 'spinner');
  const messageText = document.createElement('span');
  message.append(spinner, messageText);
  const stats = part(document.createElement('div'), 'stats', 'stats');
  stats.hidden = true;
  root.append(style, canvas, img, message, stats);
  return { canvas, img, message, messageText, spinner, stats };
}

function part<E extends HTMLElement>(element: E, name?: string, className?: string): E {
  if (name) element.setAttribute('part', name);
  if (className) element.className = className;
  return element;
}
