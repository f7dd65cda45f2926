/**
 * Discovers V4L2 cameras (/dev/video*) and what they can capture. Uses
 * `v4l2-ctl --list-formats-ext` (package v4l-utils) when present, which gives
 * sizes and frame rates; otherwise ffmpeg's `-list_formats all`, which gives
 * formats and sizes only.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { locateFfmpeg } from '../../ffmpeg/locate.js';

const run = promisify(execFile);

export interface DeviceFormat {
  /** Short name: mjpeg, yuyv, nv12, h264, … */
  format: string;
  description: string;
  sizes: { width: number; height: number; fps: number[] }[];
}

export interface V4l2Device {
  path: string;
  name: string;
  formats: DeviceFormat[];
  /** Set when the device could not be queried. */
  error?: string;
}

/** FourCC or ffmpeg names, folded to the names the --camera grammar uses. */
const FORMAT_NAMES: Record<string, string> = {
  MJPG: 'mjpeg',
  JPEG: 'mjpeg',
  YUYV: 'yuyv',
  NV12: 'nv12',
  H264: 'h264',
  mjpeg: 'mjpeg',
  yuyv422: 'yuyv',
  nv12: 'nv12',
  h264: 'h264',
};

export async function listVideoDevices(dir = '/dev'): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^video\d+$/.test(n))
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)))
    .map((n) => `${dir}/${n}`);
}

export async function describeDevice(path: string): Promise<V4l2Device> {
  const name = await deviceName(path);
  try {
    const { stdout } = await run('v4l2-ctl', ['--list-formats-ext', '-d', path], { timeout: 5000 });
    return { path, name, formats: parseV4l2CtlFormats(stdout) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return { path, name, formats: [], error: errorText(err) };
  }
  try {
    const ffmpeg = locateFfmpeg().path;
    // ffmpeg prints the list on stderr and then exits non-zero by design.
    const result = await run(ffmpeg, ['-hide_banner', '-f', 'v4l2', '-list_formats', 'all', '-i', path], {
      timeout: 5000,
    }).catch((e: { stderr?: string }) => ({ stderr: e.stderr ?? '' }));
    return { path, name, formats: parseFfmpegFormats(result.stderr) };
  } catch (err) {
    return { path, name, formats: [], error: errorText(err) };
  }
}

async function deviceName(path: string): Promise<string> {
  const base = path.split('/').pop() ?? '';
  try {
    return (await readFile(`/sys/class/video4linux/${base}/name`, 'utf8')).trim();
  } catch {
    return base;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

/** Parses `v4l2-ctl --list-formats-ext`. */
export function parseV4l2CtlFormats(text: string): DeviceFormat[] {
  const formats: DeviceFormat[] = [];
  let current: DeviceFormat | undefined;
  for (const line of text.split('\n')) {
    const fmt = /\[\d+\]:\s*'(\w+)'\s*\(([^)]*)\)/.exec(line);
    if (fmt) {
      current = { format: FORMAT_NAMES[fmt[1]!] ?? fmt[1]!.toLowerCase(), description: fmt[2]!, sizes: [] };
      formats.push(current);
      continue;
    }
    const size = /Size:\s*\w+\s+(\d+)x(\d+)/.exec(line);
    if (size && current) {
      current.sizes.push({ width: Number(size[1]), height: Number(size[2]), fps: [] });
      continue;
    }
    const interval = /Interval:.*\(([\d.]+)\s*fps\)/.exec(line);
    if (interval && current) current.sizes.at(-1)?.fps.push(Number(interval[1]));
  }
  return formats;
}

/** Parses the stderr of `ffmpeg -f v4l2 -list_formats all`. */
export function parseFfmpegFormats(text: string): DeviceFormat[] {
  const formats: DeviceFormat[] = [];
  for (const line of text.split('\n')) {
    const m = /(?:Compressed|Raw)\s*:\s*(\S+)\s*:\s*(.*?)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    const sizes = [...m[3]!.matchAll(/(\d+)x(\d+)/g)].map((s) => ({
      width: Number(s[1]),
      height: Number(s[2]),
      fps: [],
    }));
    formats.push({ format: FORMAT_NAMES[m[1]!] ?? m[1]!, description: m[2]!, sizes });
  }
  return formats;
}
