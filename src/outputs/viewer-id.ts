/** Short ids for viewers, unique within the process, for statistics and logs. */
let next = 0;

export function nextViewerId(protocol: string): string {
  next = (next + 1) % Number.MAX_SAFE_INTEGER;
  return `${protocol}-${next.toString(36)}`;
}
