/** How times and measurements read on the page. */

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateAndTime = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'long' });

/** "14:02:11", or "Mar 3, 14:02" when not today. */
export function formatClock(ms: number): string {
  const date = new Date(ms);
  return date.toDateString() === new Date().toDateString() ? timeOfDay.format(date) : dateAndTime.format(date);
}

/** "5 minutes ago", "2 hours ago". */
export function formatAgo(ms: number, now = Date.now()): string {
  const seconds = Math.round((ms - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return relative.format(seconds, 'second');
  if (abs < 45 * 60) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 36 * 3600) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86400), 'day');
}

/** "Offline since 14:02:11 (5 minutes ago)". */
export function formatOfflineSince(since: number): string {
  return `Offline since ${formatClock(since)} (${formatAgo(since)})`;
}

/** "29.9 fps · 14 ms"; parts unknown are left out (fps is 0 until two frames have been shown). */
export function formatRate(fps: number | null, latencyMs: number | null): string {
  const parts: string[] = [];
  if (fps !== null && fps > 0) parts.push(`${fps.toFixed(fps >= 10 ? 0 : 1)} fps`);
  if (latencyMs !== null) parts.push(`${Math.max(0, Math.round(latencyMs))} ms`);
  return parts.join(' · ');
}
