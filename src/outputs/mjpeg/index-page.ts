/** The page at `/` until the web viewer takes it over: a list of the cameras and their URLs. */
import type { CameraRegistry } from '../../hub/registry.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

export function indexPage(registry: CameraRegistry): string {
  const items = registry.list().map((camera) => {
    // Ids match CAMERA_ID ([a-z0-9_-]), safe in a path; names are free text.
    const base = `/api/cameras/${camera.id}`;
    return `<li><strong>${escapeHtml(camera.name)}</strong> (${camera.id}):
  <a href="${base}/stream.mjpeg">stream.mjpeg</a> · <a href="${base}/snapshot.jpg">snapshot.jpg</a></li>`;
  });
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>camrelay</title></head>
<body>
<h1>camrelay</h1>
<ul>
${items.length ? items.join('\n') : '<li>No camera is configured.</li>'}
</ul>
<p><a href="/capture">Live viewer</a> (first camera) · <a href="/?action=stream">/?action=stream</a> · <a href="/?action=snapshot">/?action=snapshot</a> · <a href="/api/cameras">/api/cameras</a></p>
</body>
</html>
`;
}
