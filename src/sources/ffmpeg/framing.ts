/**
 * How ffmpeg hands H.264 and H.265 over on stdout. Preferably each packet (one access
 * unit) as a part of the mpjpeg container, framed by its Content-length, so
 * that it leaves as soon as ffmpeg has it. Newer ffmpeg builds (7.0 on) let the
 * mpjpeg muxer carry MJPEG only; with those, the raw Annex B stream (`-f h264`, `-f hevc`)
 * is split by the access-unit splitter, which can cut an access unit only when
 * the next one begins (a frame later). Asked once per binary: can mpjpeg carry
 * a codec other than MJPEG?
 *
 * Also asked once: how to pass timestamps through untouched (`-fps_mode` from
 * ffmpeg 5.1 on, `-vsync` before it; ffmpeg 9 has only the former).
 */
import { execFile } from 'node:child_process';
import type { NalCodec } from '../../codec/video.js';
import { MPJPEG_BOUNDARY } from './args.js';

export type H264Framing = 'mpjpeg' | 'raw';

const known = new Map<string, Promise<H264Framing>>();

/** ffmpeg's name of each codec's raw Annex B format (its muxer, demuxer and decoder). */
export const FFMPEG_FORMAT: Readonly<Record<NalCodec, string>> = { h264: 'h264', h265: 'hevc' };

/** The output arguments for H.264 (or H.265) on stdout in this framing. */
export function h264Output(framing: H264Framing, codec: NalCodec = 'h264'): string[] {
  return framing === 'mpjpeg'
    ? ['-flush_packets', '1', '-f', 'mpjpeg', '-boundary_tag', MPJPEG_BOUNDARY, 'pipe:1']
    : ['-flush_packets', '1', '-f', FFMPEG_FORMAT[codec], 'pipe:1'];
}

/** The framing this ffmpeg binary supports (asked once, then remembered). */
export function h264Framing(binary: string): Promise<H264Framing> {
  let framing = known.get(binary);
  if (!framing) {
    framing = new Promise((resolve) => {
      // One raw-video frame into the mpjpeg muxer: refused by builds that take MJPEG only.
      const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=s=16x16:r=1'];
      args.push('-frames:v', '1', '-c:v', 'rawvideo', '-f', 'mpjpeg', '-y', '/dev/null');
      execFile(binary, args, { timeout: 10_000, killSignal: 'SIGKILL' }, (err) => resolve(err ? 'raw' : 'mpjpeg'));
    });
    known.set(binary, framing);
  }
  return framing;
}

/** Sets the framing for a binary, as if asked (tests run the raw path with a binary that has both). */
export function rememberH264Framing(binary: string, framing: H264Framing | undefined): void {
  if (framing) known.set(binary, Promise.resolve(framing));
  else known.delete(binary);
}

const timing = new Map<string, Promise<string[]>>();

/** `-fps_mode passthrough`, or `-vsync passthrough` for builds older than 5.1. */
export function passthroughTiming(binary: string): Promise<string[]> {
  let args = timing.get(binary);
  if (!args) {
    args = new Promise((resolve) => {
      const probe = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=s=16x16:r=1'];
      probe.push('-frames:v', '1', '-fps_mode', 'passthrough', '-f', 'null', '-');
      execFile(binary, probe, { timeout: 10_000, killSignal: 'SIGKILL' }, (err) =>
        resolve(err ? ['-vsync', 'passthrough'] : ['-fps_mode', 'passthrough']),
      );
    });
    timing.set(binary, args);
  }
  return args;
}
