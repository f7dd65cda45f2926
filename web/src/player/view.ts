/**
 * The player's shadow DOM: canvas (JPEG and WebCodecs frames), img (MJPEG), video (MSE), the
 * message shown in place of a picture, and the stats overlay. Parts are
 * exposed for styling from the page (::part(stats), …).
 */
import { PLAYER_CSS } from './styles.js';

export interface PlayerView {
  canvas: HTMLCanvasElement;
  img: HTMLImageElement;
  /** H.264 or H.265 played through Media Source Extensions. */
  video: HTMLVideoElement;
  message: HTMLDivElement;
  messageText: HTMLSpanElement;
  /** A second, smaller line (why a camera is offline). */
  messageDetail: HTMLSpanElement;
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
  const video = part(document.createElement('video'), 'video');
  video.hidden = true;
  const message = part(document.createElement('div'), 'message', 'message');
  message.setAttribute('role', 'status');
  const spinner = part(document.createElement('div'), undefined, 'spinner');
  const messageText = document.createElement('span');
  const messageDetail = document.createElement('span');
  messageDetail.className = 'detail';
  messageDetail.hidden = true;
  message.append(spinner, messageText, messageDetail);
  const stats = part(document.createElement('div'), 'stats', 'stats');
  stats.hidden = true;
  root.append(style, canvas, img, video, message, stats);
  return { canvas, img, video, message, messageText, messageDetail, spinner, stats };
}

function part<E extends HTMLElement>(element: E, name?: string, className?: string): E {
  if (name) element.setAttribute('part', name);
  if (className) element.className = className;
  return element;
}
