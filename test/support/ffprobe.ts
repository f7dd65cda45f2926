/**
 * ffprobe (Debian's ffmpeg package; scripts/ensure-test-deps.sh installs it) on files the server
 * wrote: the errors a full decode reports, and what the file holds.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What ffprobe reports when it decodes every frame of `file`: '' for a file without a fault. */
export async function ffprobeErrors(file: string): Promise<string> {
  try {
    const { stderr } = await run(
      'ffprobe',
      ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', file],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    return stderr.trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return (e.stderr || e.message).trim() || 'ffprobe failed';
  }
}

export interface FfprobeInfo {
  codec: string;
  width: number;
  height: number;
  /** Frames decoded. */
  frames: number;
  /** Seconds, from the container. */
  duration: number;
  /** The first frame is a keyframe. */
  startsWithKeyframe: boolean;
}

/** The first video stream of `file`: codec, size, frames (decoded to count them), duration. */
export async function ffprobeInfo(file: string): Promise<FfprobeInfo> {
  const { stdout } = await run(
    'ffprobe',
    [
      ...['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-of', 'json'],
      ...['-show_entries', 'stream=codec_name,width,height,nb_read_frames:format=duration'],
      file,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const info = JSON.parse(stdout) as {
    streams?: { codec_name?: string; width?: number; height?: number; nb_read_frames?: string }[];
    format?: { duration?: string };
  };
  const first = await run(
    'ffprobe',
    [...['-v', 'error', '-select_streams', 'v:0', '-read_intervals', '%+#1', '-of', 'json'], '-show_frames', file],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const frames = (JSON.parse(first.stdout) as { frames?: { key_frame?: number }[] }).frames ?? [];
  const stream = info.streams?.[0] ?? {};
  return {
    codec: stream.codec_name ?? '',
    width: stream.width ?? 0,
    height: stream.height ?? 0,
    frames: Number(stream.nb_read_frames ?? 0),
    duration: Number(info.format?.duration ?? 0),
    startsWithKeyframe: frames[0]?.key_frame === 1,
  };
}
