// test lane: waiting (two RTSP cameras of 160x120 recorded in 2 s segments: it mostly waits for them)
/**
 * Recording and exporting a camera's audio, with real parts: GStreamer RTSP cameras that send H.264 with
 * AAC and with G.711 A-law. The API lists each camera's audio; segments carry an audio track beside the
 * video (AAC as it came, G.711 repacked losslessly as FLAC); an export of the recorded range has both
 * tracks, which ffmpeg decodes without an error and which last as long as each other; `?audio=0` leaves
 * the sound out, and so does `audio: false` everywhere.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readFragmentedFile } from '../../src/recording/fragment-file.js';
import {
  requireInCi,
  rtspCameraMissing,
  skipOutsideCi,
  startRtspCamera,
  startServer,
  waitFor,
  type RtspCamera,
  type TestServer,
} from '../support/index.js';
import { writeConfig } from './helpers.js';

const missing = rtspCameraMissing('h264', 'aac') ?? rtspCameraMissing('h264', 'pcma');

interface Stream {
  codec_type: string;
  codec_name: string;
  sample_rate?: string;
  channels?: number;
  duration?: string;
}

function streams(file: string): Stream[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file], { encoding: 'utf8' });
  return (JSON.parse(out) as { streams: Stream[] }).streams;
}

/** ffmpeg's decode of every stream: its errors ('' when clean). */
function decodeErrors(file: string): string {
  try {
    execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', file, '-map', '0', '-f', 'null', '-'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return '';
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error);
  }
}

describe('recording audio', { skip: skipOutsideCi(missing) }, () => {
  let dir: string;
  let ts: TestServer | undefined;
  const cams: RtspCamera[] = [];

  before(async () => {
    requireInCi(missing);
    dir = mkdtempSync(join(tmpdir(), 'camrelay-rec-audio-'));
    const aac = await startRtspCamera({ width: 160, height: 120, fps: 15, keyint: 15, audio: 'aac' });
    const pcma = await startRtspCamera({ width: 160, height: 120, fps: 15, keyint: 15, audio: 'pcma' });
    cams.push(aac, pcma);
    const config = writeConfig(
      join(dir, 'camrelay.yaml'),
      `recordings: { path: ${join(dir, 'store')}, segment_duration: 2 }\n` +
        `cameras:\n` +
        `  - { id: aac, source: "${aac.url}", record: true }\n` +
        `  - { id: pcma, source: "${pcma.url}", record: true }\n` +
        `  - { id: mute, source: "${aac.url}", record: true, audio: false }\n`,
    );
    ts = await startServer([], config);
  });
  after(async () => {
    await ts?.close();
    await Promise.all(cams.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists, records and exports AAC and G.711 (as FLAC) beside the video; ?audio=0 and audio: false leave it out', async () => {
    const store = ts!.server.recordings!;
    const closed = (id: string) => store.segments(id, 0, Date.now() + 1000).filter((s) => !s.open);
    await waitFor(
      () => ['aac', 'pcma', 'mute'].every((id) => closed(id).length >= 3),
      40_000,
      'three closed segments of each camera',
    );
    const { cameras: listed } = (await (await fetch(`${ts!.url}/api/cameras`)).json()) as {
      cameras: { id: string; audio?: { codec: string; sampleRate: number; channels: number } | null }[];
    };
    const audioOf = (id: string) => {
      const a = listed.find((c) => c.id === id)!.audio;
      return a ? [a.codec, a.sampleRate, a.channels] : a;
    };
    assert.deepEqual(audioOf('aac'), ['aac', 16000, 1]);
    assert.deepEqual(audioOf('pcma'), ['pcma', 8000, 1]);
    assert.equal(audioOf('mute'), null);

    for (const [id, codec, rate] of [
      ['aac', 'aac', '16000'],
      ['pcma', 'flac', '8000'],
    ] as const) {
      // The second and third segments: every one after the first starts with the audio known.
      const segments = closed(id).slice(1, 3);
      const parsed = await readFragmentedFile(segments[0]!.file);
      assert.equal(parsed.audio?.record.codec, codec);
      const url = `${ts!.url}/api/cameras/${id}/recordings/video.mp4?start=${segments[0]!.startMs}&end=${segments[1]!.endMs}`;
      const file = join(dir, `${id}.mp4`);
      writeFileSync(file, Buffer.from(await (await fetch(url)).arrayBuffer()));
      const found = streams(file);
      assert.deepEqual(
        found.map((s) => [s.codec_type, s.codec_name]),
        [
          ['video', 'h264'],
          ['audio', codec],
        ],
        id,
      );
      assert.equal(found[1]!.sample_rate, rate);
      assert.equal(found[1]!.channels, 1);
      assert.equal(decodeErrors(file), '', `${id}: ffmpeg decodes both tracks cleanly`);
      const [video, audio] = found.map((s) => Number(s.duration));
      assert.ok(Math.abs(video! - audio!) < 0.25, `${id}: video ${video} s, audio ${audio} s`);

      const silent = join(dir, `${id}-silent.mp4`);
      writeFileSync(silent, Buffer.from(await (await fetch(`${url}&audio=0`)).arrayBuffer()));
      assert.deepEqual(
        streams(silent).map((s) => s.codec_type),
        ['video'],
      );
    }
    const mute = closed('mute')[1]!;
    assert.equal((await readFragmentedFile(mute.file)).audio, undefined);
    const bad = await fetch(
      `${ts!.url}/api/cameras/aac/recordings/video.mp4?start=${mute.startMs}&end=${mute.endMs}&audio=2`,
    );
    assert.equal(bad.status, 400);
  });
});
