/**
 * The picture shown while a camera is offline: NO SIGNAL, the camera's name,
 * and since when. Rendered once per outage by ffmpeg (the text does not
 * change while it lasts); if ffmpeg itself cannot run, a plain grey JPEG made
 * in-process stands in.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { checkJpeg } from '../framing/jpeg.js';
import { filterQuote, findFont } from './font.js';
import { locateFfmpeg } from './locate.js';

export interface PlaceholderRequest {
  name: string;
  since: number;
  width: number;
  height: number;
}

export type PlaceholderRenderer = (request: PlaceholderRequest) => Promise<Buffer>;

function even(n: number): number {
  return Math.max(16, Math.round(n / 2) * 2);
}

function sinceText(since: number): string {
  const d = new Date(since);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `since ${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export const renderPlaceholder: PlaceholderRenderer = async (request) => {
  try {
    return await renderWithFfmpeg(request);
  } catch {
    return greyJpeg(request.width, request.height);
  }
};

async function renderWithFfmpeg({ name, since, width, height }: PlaceholderRequest): Promise<Buffer> {
  const w = even(width);
  const h = even(height);
  const font = findFont();
  const dir = await mkdtemp(join(tmpdir(), 'camrelay-ph-'));
  try {
    const filters: string[] = [];
    if (font) {
      // Text goes through files so that a camera name needs no filtergraph escaping.
      const lines: [string, number, string][] = [
        ['NO SIGNAL', Math.round(h / 8), 'h*0.38-th/2'],
        [name, Math.round(h / 16), 'h*0.56-th/2'],
        [sinceText(since), Math.round(h / 22), 'h*0.66-th/2'],
      ];
      for (const [i, [text, size, y]] of lines.entries()) {
        const file = join(dir, `line${i}.txt`);
        await writeFile(file, text.replace(/[\r\n]+/g, ' ').slice(0, 200));
        filters.push(
          `drawtext=fontfile=${filterQuote(font)}:textfile=${filterQuote(file)}:expansion=none:fontsize=${Math.max(10, size)}:fontcolor=white:x=(w-tw)/2:y=${y}`,
        );
      }
    }
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', `color=c=0x303030:s=${w}x${h}:d=1`];
    if (filters.length) args.push('-vf', filters.join(','));
    args.push('-frames:v', '1', '-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', '4', '-f', 'mjpeg', 'pipe:1');
    const stdout = await new Promise<Buffer>((resolve, reject) => {
      execFile(locateFfmpeg().path, args, { encoding: 'buffer', timeout: 10_000, maxBuffer: 8 * 1024 * 1024 }, (err, out) =>
        err ? reject(err) : resolve(out),
      );
    });
    const frame = checkJpeg(stdout);
    if (!frame) throw new Error('ffmpeg produced no JPEG');
    return frame;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function greyJpeg(width: number, height: number): Buffer {
  const w = Math.min(even(width), 640);
  const h = Math.min(even(height), 360);
  const data = Buffer.alloc(w * h * 4, 0x30);
  return jpeg.encode({ data, width: w, height: h }, 50).data;
}
