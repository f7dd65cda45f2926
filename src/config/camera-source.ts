/**
 * The `--camera ID=SOURCE` grammar, shared by the command line and the
 * config file's `source:` key. It is a contract other programs use: extend
 * it only compatibly.
 *
 *   testsrc[?size=WxH&fps=N]
 *   v4l2:/dev/videoN[?format=mjpeg|yuyv|nv12|h264&size=WxH&fps=N]   (or a bare /dev/videoN[?…])
 *   rtsp://…  rtsps://…
 *   http://…  https://…
 *   file:PATH[?fps=N]
 */
import { CAMERA_ID, CAMERA_ID_RULE } from '../camera-id.js';
import { maskCredentials } from '../sources/credentials.js';
import type { SourceSpec, V4l2Format } from '../sources/spec.js';

export class SourceSyntaxError extends Error {}

const MAX_SIZE = 8192;
const MAX_FPS = 240;

function parseQuery(query: string, allowed: string[], what: string): Map<string, string> {
  const params = new Map<string, string>();
  if (!query) return params;
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
    if (!allowed.includes(key)) {
      throw new SourceSyntaxError(`unknown option "${key}" for ${what} (expected ${allowed.join(', ')})`);
    }
    params.set(key, value);
  }
  return params;
}

function parseSize(value: string): { width: number; height: number } {
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(value);
  const width = Number(m?.[1]);
  const height = Number(m?.[2]);
  if (!m || width < 16 || height < 16 || width > MAX_SIZE || height > MAX_SIZE || width % 2 || height % 2) {
    throw new SourceSyntaxError(`size "${value}" is not WIDTHxHEIGHT with even numbers from 16 to ${MAX_SIZE}`);
  }
  return { width, height };
}

function parseFps(value: string): number {
  const fps = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || fps <= 0 || fps > MAX_FPS) {
    throw new SourceSyntaxError(`fps "${value}" is not a number from 1 to ${MAX_FPS}`);
  }
  return fps;
}

function splitQuery(rest: string): [string, string] {
  const q = rest.indexOf('?');
  return q < 0 ? [rest, ''] : [rest.slice(0, q), rest.slice(q + 1)];
}

/** Parses SOURCE; throws SourceSyntaxError saying what was expected. */
export function parseSource(source: string): SourceSpec {
  const text = source.trim();
  if (text === 'testsrc' || text.startsWith('testsrc?')) {
    const [, query] = splitQuery(text);
    const params = parseQuery(query, ['size', 'fps'], 'testsrc');
    const size = params.has('size') ? parseSize(params.get('size')!) : { width: 1280, height: 720 };
    const fps = params.has('fps') ? parseFps(params.get('fps')!) : 30;
    return { kind: 'testsrc', ...size, fps };
  }
  if (text.startsWith('v4l2:') || text.startsWith('/dev/')) {
    const [device, query] = splitQuery(text.startsWith('v4l2:') ? text.slice(5) : text);
    if (!/^\/dev\/[\w./-]+$/.test(device) || device.includes('..')) {
      throw new SourceSyntaxError(`"${device}" is not a device path like /dev/video0`);
    }
    const params = parseQuery(query, ['format', 'size', 'fps'], 'v4l2');
    const spec: SourceSpec = { kind: 'v4l2', device };
    if (params.has('format')) {
      const format = params.get('format')!;
      if (!['mjpeg', 'yuyv', 'nv12', 'h264'].includes(format)) {
        throw new SourceSyntaxError(`format "${format}" is not one of mjpeg, yuyv, nv12, h264`);
      }
      spec.format = format as V4l2Format;
    }
    if (params.has('size')) Object.assign(spec, parseSize(params.get('size')!));
    if (params.has('fps')) spec.fps = parseFps(params.get('fps')!);
    return spec;
  }
  if (/^rtsps?:\/\//i.test(text)) return { kind: 'rtsp', url: checkUrl(text) };
  if (/^https?:\/\//i.test(text)) return { kind: 'http', url: checkUrl(text) };
  if (text.startsWith('file:')) {
    const [path, query] = splitQuery(text.slice(5));
    if (!path) throw new SourceSyntaxError('file: needs a path, as in file:/videos/door.mp4');
    const params = parseQuery(query, ['fps'], 'file');
    return params.has('fps') ? { kind: 'file', path, fps: parseFps(params.get('fps')!) } : { kind: 'file', path };
  }
  throw new SourceSyntaxError(
    `"${source}" is not a source: expected testsrc[?size=WxH&fps=N], v4l2:/dev/videoN[?format=…&size=WxH&fps=N], /dev/videoN, rtsp://…, http(s)://… or file:PATH[?fps=N]`,
  );
}

function checkUrl(text: string): string {
  try {
    new URL(text);
    return text;
  } catch {
    throw new SourceSyntaxError(`"${maskCredentials(text)}" is not a valid URL`);
  }
}

export interface CameraArgument {
  id: string;
  source: string;
  spec: SourceSpec;
}

/** Parses one `--camera ID=SOURCE` value. */
export function parseCameraArgument(value: string): CameraArgument {
  const eq = value.indexOf('=');
  const id = eq < 0 ? '' : value.slice(0, eq);
  if (eq < 0 || !CAMERA_ID.test(id)) {
    throw new SourceSyntaxError(`--camera "${value}": expected ID=SOURCE with an ID of ${CAMERA_ID_RULE}`);
  }
  const source = value.slice(eq + 1);
  try {
    return { id, source, spec: parseSource(source) };
  } catch (err) {
    throw new SourceSyntaxError(`--camera ${id}: ${(err as Error).message}`);
  }
}
