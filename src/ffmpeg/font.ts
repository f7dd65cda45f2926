/** A TrueType font for ffmpeg's drawtext (clock on the test pattern, NO SIGNAL text). */
import { existsSync } from 'node:fs';

const CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf',
  '/usr/share/fonts/truetype/freefont/FreeMono.ttf',
  '/usr/share/fonts/TTF/DejaVuSansMono.ttf',
];

let found: string | null | undefined;

/** The first font present, or undefined: callers then draw no text rather than fail. */
export function findFont(): string | undefined {
  if (found === undefined) {
    const fromEnv = process.env.CAMRELAY_FONT;
    found = [fromEnv, ...CANDIDATES].find((p): p is string => !!p && existsSync(p)) ?? null;
  }
  return found ?? undefined;
}

/** Escapes a value for use inside a single-quoted filtergraph option. */
export function filterQuote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "'\\''").replace(/:/g, '\\:')}'`;
}
