/**
 * What each ffmpeg binary can do, asked once per binary and remembered:
 * - how H.264 and H.265 leave it (output.ts): in MPEG-TS with their timestamps where it has the `setts`
 *   bitstream filter (4.4 on: an RTSP camera with B-frames needs it, capture-args.ts), else as mpjpeg parts
 *   where its mpjpeg muxer carries a codec other than MJPEG (before 7.0), else raw;
 * - how JPEGs leave it: in MPEG-TS with their times where its muxer takes MJPEG (4.1 on), else mpjpeg parts;
 * - whether its encoders take `-enc_time_base` (4.1 on): a transcoder's times go through unrounded;
 * - how to pass timestamps through untouched (`-fps_mode` from ffmpeg 5.1 on, `-vsync` before it;
 *   ffmpeg 9 has only the former).
 */
import { execFile } from 'node:child_process';
import type { JpegFraming, NalFraming } from './output.js';

const known = new Map<string, Promise<NalFraming>>();

/** The framing this ffmpeg binary supports for H.264 and H.265 (asked once, then remembered). */
export function nalFraming(binary: string): Promise<NalFraming> {
  let framing = known.get(binary);
  if (!framing) {
    framing = new Promise((resolve) => {
      // One frame through the setts bitstream filter: refused by builds without it.
      const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=s=16x16:r=1'];
      args.push('-frames:v', '1', '-c:v', 'rawvideo', '-bsf:v', 'setts=pts=PTS', '-f', 'null', '-');
      execFile(binary, args, { timeout: 10_000, killSignal: 'SIGKILL' }, (err) =>
        resolve(err ? mpjpegOrRaw(binary) : 'mpegts'),
      );
    });
    known.set(binary, framing);
  }
  return framing;
}

/** Packets in mpjpeg parts, or raw where the mpjpeg muxer takes MJPEG only. */
function mpjpegOrRaw(binary: string): Promise<NalFraming> {
  return new Promise((resolve) => {
    // One raw-video frame into the mpjpeg muxer: refused by builds that take MJPEG only.
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=s=16x16:r=1'];
    args.push('-frames:v', '1', '-c:v', 'rawvideo', '-f', 'mpjpeg', '-y', '/dev/null');
    execFile(binary, args, { timeout: 10_000, killSignal: 'SIGKILL' }, (err) => resolve(err ? 'raw' : 'mpjpeg'));
  });
}

/** Sets the framing for a binary, as if asked (tests run the raw path with a binary that has both). */
export function rememberNalFraming(binary: string, framing: NalFraming | undefined): void {
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

const jpegs = new Map<string, Promise<JpegFraming>>();

/**
 * JPEGs in MPEG-TS, each with its time, where this ffmpeg muxes MJPEG into it (one frame tried, asked once);
 * else mpjpeg parts, timed by arrival as before, and `degraded` told once per binary.
 */
export function jpegFraming(binary: string, degraded: (reason: string) => void = () => {}): Promise<JpegFraming> {
  let framing = jpegs.get(binary);
  if (!framing) {
    framing = new Promise((resolve) => {
      const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=s=16x16:r=1'];
      args.push('-frames:v', '1', '-c:v', 'mjpeg', '-copyts', '-mpegts_copyts', '1', '-f', 'mpegts', '-y', '/dev/null');
      execFile(binary, args, { timeout: 10_000, killSignal: 'SIGKILL' }, (err) => {
        if (err) degraded(`${binary} cannot carry JPEGs in MPEG-TS: pictures timed by their arrival`);
        resolve(err ? 'mpjpeg' : 'mpegts');
      });
    });
    jpegs.set(binary, framing);
  }
  return framing;
}

/** Sets the JPEG framing for a binary, as if asked (tests run the mpjpeg path with a binary that has both). */
export function rememberJpegFraming(binary: string, framing: JpegFraming | undefined): void {
  if (framing) jpegs.set(binary, Promise.resolve(framing));
  else jpegs.delete(binary);
}

const timeBases = new Map<string, Promise<boolean>>();

/**
 * Whether this ffmpeg's encoders take a time base of their own (`-enc_time_base`, 4.1 on); without it a
 * transcoder's times are rounded to the frame rate its encoder is told, and `degraded` is told once per binary.
 */
export function encoderTimeBase(binary: string, degraded: (reason: string) => void = () => {}): Promise<boolean> {
  let known = timeBases.get(binary);
  if (!known) {
    known = new Promise((resolve) => {
      const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=s=16x16:r=1'];
      args.push('-frames:v', '1', '-enc_time_base', '1:90000', '-c:v', 'mjpeg', '-f', 'null', '-');
      execFile(binary, args, { timeout: 10_000, killSignal: 'SIGKILL' }, (err) => {
        if (err) degraded(`${binary} has no -enc_time_base: transcoded times rounded to the encoder's frame rate`);
        resolve(!err);
      });
    });
    timeBases.set(binary, known);
  }
  return known;
}
