/** The player's shadow-DOM CSS: self-contained, so the module is one file and page styles can't break it. */
export const PLAYER_CSS = `
:host {
  display: block;
  position: relative;
  overflow: hidden;
  /* A sensible size when the page gives none; ignored once it sets a height. */
  aspect-ratio: 16 / 9;
  background: #000;
  color: #fff;
  contain: content;
}
:host([hidden]) { display: none; }
canvas, img, video {
  position: absolute;
  inset: 0;
  width: 100%;
  height: 100%;
  display: block;
}
img, video { object-fit: contain; }
:host([fit="cover"]) img, :host([fit="cover"]) video { object-fit: cover; }
[hidden] { display: none !important; }
.message {
  position: absolute;
  inset: 0;
  display: flex;
  flex-direction: column;
  gap: 10px;
  align-items: center;
  justify-content: center;
  padding: 1em;
  text-align: center;
  font: 500 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: rgba(255, 255, 255, 0.92);
  background: rgba(0, 0, 0, 0.35);
}
.message.over-picture { background: rgba(0, 0, 0, 0.6); }
.message .detail { font-weight: 400; font-size: 12px; opacity: 0.8; }
.spinner {
  width: 22px;
  height: 22px;
  border-radius: 50%;
  border: 2.5px solid rgba(255, 255, 255, 0.25);
  border-top-color: rgba(255, 255, 255, 0.9);
  animation: spin 0.9s linear infinite;
}
@keyframes spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .spinner { animation: none; } }
.stats {
  position: absolute;
  left: 8px;
  bottom: 8px;
  max-width: calc(100% - 16px);
  box-sizing: border-box;
  padding: 5px 8px;
  border-radius: 6px;
  background: rgba(0, 0, 0, 0.66);
  color: #fff;
  font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace;
  font-variant-numeric: tabular-nums;
  white-space: pre;
  overflow: hidden;
  text-overflow: ellipsis;
  pointer-events: none;
}
`;
