/**
 * Real audio for the codec tests, made by the project's ffmpeg from a sine (or noise) source:
 * ADTS AAC, raw G.711, and the PCM ffmpeg decodes them to (the reference the tests compare with).
 */
import { execFileSync } from 'node:child_process';
import { locateFfmpeg } from '../../src/ffmpeg/locate.js';

function run(args: string[], input?: Uint8Array): Uint8Array {
  const out = execFileSync(locateFfmpeg().path, ['-hide_banner', '-nostdin', '-v', 'error', ...args], {
    maxBuffer: 64 * 1024 * 1024,
    input,
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** A lavfi audio source: a 440 Hz sine with some noise on it (so FLAC's residuals are not trivial). */
function source(rate: number, channels: number, seconds: number): string[] {
  const layout = channels === 1 ? 'mono' : 'stereo';
  return [
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=${rate}:duration=${seconds},aformat=channel_layouts=${layout}`,
    '-f',
    'lavfi',
    '-i',
    `anoisesrc=r=${rate}:a=0.05:d=${seconds},aformat=channel_layouts=${layout}`,
    '-filter_complex',
    '[0][1]amix=inputs=2:normalize=0',
  ];
}

/** ADTS AAC-LC from ffmpeg's encoder. */
export function adtsAac(rate = 48000, channels = 2, seconds = 1): Uint8Array {
  return run([...source(rate, channels, seconds), '-c:a', 'aac', '-b:a', '64k', '-f', 'adts', 'pipe:1']);
}

/** Raw G.711 (`alaw` or `mulaw`) at 8 kHz mono. */
export function g711(law: 'alaw' | 'mulaw', seconds = 1, rate = 8000): Uint8Array {
  return run([...source(rate, 1, seconds), '-c:a', `pcm_${law}`, '-f', law, 'pipe:1']);
}

/** ffmpeg's decoding of `data` (given its input args) to 16-bit little-endian PCM. */
export function decodeToPcm(inputArgs: string[], data: Uint8Array): Int16Array {
  const out = run([...inputArgs, '-i', 'pipe:0', '-f', 's16le', '-c:a', 'pcm_s16le', 'pipe:1'], data);
  return new Int16Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
}

/** ffmpeg reading a file: its decode errors (-xerror, empty when clean) and the decoded PCM. */
export function decodeFile(path: string, stream = 'a:0'): { pcm: Int16Array; stderr: string } {
  try {
    const out = execFileSync(
      locateFfmpeg().path,
      [
        '-hide_banner',
        '-nostdin',
        '-v',
        'error',
        '-xerror',
        '-i',
        path,
        '-map',
        `0:${stream}`,
        '-f',
        's16le',
        'pipe:1',
      ],
      { maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return { pcm: new Int16Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength)), stderr: '' };
  } catch (error) {
    const e = error as { stderr?: Buffer };
    return { pcm: new Int16Array(0), stderr: e.stderr?.toString() ?? String(error) };
  }
}

/** Runs ffmpeg with arguments, returning stdout. */
export const ffmpegRun = run;
