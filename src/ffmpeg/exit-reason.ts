/**
 * Why an ffmpeg capture ended, in words a viewer understands: "stream ended
 * (ffmpeg exited with code 0)", "connection refused (ffmpeg exited with code
 * 1): [tcp] Connection to tcp://… failed: Connection refused". The stderr line
 * quoted is the meaningful one (an error, not the last warning ffmpeg
 * repeated), and known noise never pushes it out.
 */

/** Warnings ffmpeg repeats that never explain an end. */
const NOISE = [
  /deprecated pixel format/i,
  // JPEGs in MPEG-TS (output.ts): camrelay's demuxer reads them.
  /is muxed as a private data stream/i,
  // Old builds' warning on -r with timestamps passed through: the frame rate is for rate control only.
  /Using -vsync 0 and -r can produce invalid output/i,
  /not enough frames to estimate rate/i,
  /^\s*Last message repeated \d+ times/i,
  /Past duration .* too large/i,
  /^Fontconfig/,
  /non[- ]monotonous DTS/i,
  /max delay reached/i,
  /RTP: missed \d+ packets/i,
  /co located POCs unavailable/i,
  /not enough frames to estimate rate/i,
];

/** Known failures, most specific first, with what to say. */
const KNOWN: [RegExp, string][] = [
  [/connection refused/i, 'connection refused'],
  [/401 unauthorized|authori[sz]ation failed|\bunauthorized\b/i, 'authentication failed'],
  [/403 forbidden/i, 'forbidden (403)'],
  [/404 not found|server returned 404/i, 'not found (404)'],
  [
    /name or service not known|failed to resolve|could not resolve|temporary failure in name resolution/i,
    'host not found',
  ],
  [/no route to host/i, 'no route to host'],
  [/network is unreachable/i, 'network unreachable'],
  [/connection reset by peer/i, 'connection reset by peer'],
  [/timed out|connection timeout/i, 'connection timed out'],
  [/no such file or directory/i, 'no such file'],
  [/no such device/i, 'no such device'],
  [/device or resource busy/i, 'device busy'],
  [/permission denied/i, 'permission denied'],
  [/invalid data found when processing input/i, 'invalid data from the source'],
  [/end of file|\beof\b/i, 'stream ended'],
];

const ERROR_LINE = new RegExp(
  [
    'error|fail|refused|not found|no such|denied|unauthori[sz]ed|forbidden|invalid',
    'could not|cannot|unable|timed out|unreachable|reset by peer|busy|end of file',
  ].join('|'),
  'i',
);

export function isNoise(line: string): boolean {
  return !line.trim() || NOISE.some((re) => re.test(line));
}

/** `[tcp @ 0x55d1c0a2b3c0] …` → `[tcp] …`: the address says nothing to a reader. */
function tidy(line: string): string {
  return line.replace(/ @ 0x[0-9a-f]+\]/gi, ']').trim();
}

export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The spawn itself failed. */
  spawnError?: Error;
  /** stderr lines, oldest first (noise may be included; it is skipped here). */
  stderr: readonly string[];
}

/** The offline reason for an ffmpeg run that ended by itself. */
export function exitReason({ code, signal, spawnError, stderr }: FfmpegExit): string {
  if (spawnError) return `could not start ffmpeg: ${spawnError.message}`;
  const lines = stderr.filter((l) => !isNoise(l)).map(tidy);
  let detail: string | undefined;
  for (let i = lines.length - 1; i >= 0 && !detail; i--) if (ERROR_LINE.test(lines[i]!)) detail = lines[i];
  // Exit code 0: the input ended (end of file, the camera hung up); anything else it said is a detail.
  if (code !== 0) detail ??= lines.at(-1);
  let summary: string | undefined = code === 0 && !signal ? 'stream ended' : undefined;
  for (let i = lines.length - 1; i >= 0 && !summary; i--) summary = KNOWN.find(([re]) => re.test(lines[i]!))?.[1];
  const how = signal ? `ffmpeg killed by ${signal}` : `ffmpeg exited with code ${code}`;
  summary ??= signal ? undefined : 'capture failed';
  const head = summary ? `${summary} (${how})` : how;
  return detail ? `${head}: ${detail}` : head;
}
