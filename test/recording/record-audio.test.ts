// test lane: waiting (RTSP, HTTP and file cameras of 160x120 recorded in 2 s segments: it mostly waits for them)
/**
 * Recording and exporting a camera's audio, with real parts: GStreamer RTSP cameras that send H.264 with
 * AAC, with G.711 A-law and with Opus; an HTTP camera that serves HTTP-FLV (H.264 + AAC, made live by
 * ffmpeg); files with G.711 and with Opus. The API lists each camera's audio; segments carry an audio track
 * beside the video (AAC and Opus as they came, G.711 repacked losslessly as FLAC); an export of the
 * recorded range has both tracks, which ffmpeg decodes without an error and which last as long as each
 * other; `?audio=0` leaves the sound out, and so does `audio: false` everywhere. The Opus camera's sound
 * also reaches a viewer that asks (`audio-config` opus) and an RTSP client, which decodes it.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { locateFfmpeg } from '../../src/ffmpeg/locate.js';
import { readFragmentedFile } from '../../src/recording/fragment-file.js';
import { ffmpegRtspAudio } from '../support/rtsp-players.js';
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

const missing =
  rtspCameraMissing('h264', 'aac') ?? rtspCameraMissing('h264', 'pcma') ?? rtspCameraMissing('h264', 'opus');

/**
 * An HTTP camera serving HTTP-FLV (as many cameras and NVRs offer it): each request gets its own live
 * stream, H.264 and AAC made by ffmpeg at real time.
 */
async function startFlvCamera(): Promise<{ url: string; close(): Promise<void> }> {
  const children = new Set<ChildProcess>();
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'video/x-flv' });
    const child = spawn(locateFfmpeg().path, [
      ...['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=15'],
      ...['-f', 'lavfi', '-i', 'sine=sample_rate=16000', '-c:v', 'libx264', '-preset', 'ultrafast'],
      ...['-tune', 'zerolatency', '-g', '15', '-c:a', 'aac', '-ac', '1', '-f', 'flv', 'pipe:1'],
    ]);
    children.add(child);
    child.stdout.pipe(res);
    const end = (): void => void child.kill('SIGKILL');
    res.on('close', end);
    child.on('exit', () => {
      children.delete(child);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/live.flv`,
    async close() {
      for (const child of children) child.kill('SIGKILL');
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A 1 s clip in Matroska: H.264 and this audio (`pcm_alaw` at 8 kHz, `libopus` at 48 kHz), mono. */
function makeClip(path: string, audio: 'pcm_alaw' | 'libopus'): void {
  const rate = audio === 'libopus' ? '48000' : '8000';
  execFileSync(locateFfmpeg().path, [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=15', '-f', 'lavfi'],
    ...['-i', `sine=sample_rate=${rate}`, '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '15'],
    ...['-bf', '0', '-c:a', audio, '-ar', rate, '-ac', '1', path],
  ]);
}

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
  let flv: Awaited<ReturnType<typeof startFlvCamera>> | undefined;

  before(async () => {
    requireInCi(missing);
    dir = mkdtempSync(join(tmpdir(), 'camrelay-rec-audio-'));
    const aac = await startRtspCamera({ width: 160, height: 120, fps: 15, keyint: 15, audio: 'aac' });
    const pcma = await startRtspCamera({ width: 160, height: 120, fps: 15, keyint: 15, audio: 'pcma' });
    const opus = await startRtspCamera({ width: 160, height: 120, fps: 15, keyint: 15, audio: 'opus' });
    cams.push(aac, pcma, opus);
    flv = await startFlvCamera();
    makeClip(join(dir, 'alaw.mkv'), 'pcm_alaw');
    makeClip(join(dir, 'opus.mkv'), 'libopus');
    const config = writeConfig(
      join(dir, 'camrelay.yaml'),
      `recordings: { path: ${join(dir, 'store')}, segment_duration: 2 }\n` +
        `rtsp: { port: 0, host: 127.0.0.1 }\n` +
        `cameras:\n` +
        `  - { id: aac, source: "${aac.url}", record: true }\n` +
        `  - { id: pcma, source: "${pcma.url}", record: true }\n` +
        `  - { id: mute, source: "${aac.url}", record: true, audio: false }\n` +
        `  - { id: opus, source: "${opus.url}", record: true }\n` +
        `  - { id: flv, source: "${flv.url}", record: true }\n` +
        `  - { id: filealaw, source: "file:${join(dir, 'alaw.mkv')}", record: true }\n` +
        `  - { id: fileopus, source: "file:${join(dir, 'opus.mkv')}", record: true }\n`,
    );
    ts = await startServer([], config);
  });
  after(async () => {
    await ts?.close();
    await Promise.all(cams.map((c) => c.stop()));
    await flv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const closed = (id: string) => ts!.server.recordings!.segments(id, 0, Date.now() + 1000).filter((s) => !s.open);

  async function listedAudio(): Promise<Map<string, [string, number, number] | null | undefined>> {
    const { cameras } = (await (await fetch(`${ts!.url}/api/cameras`)).json()) as {
      cameras: { id: string; audio?: { codec: string; sampleRate: number; channels: number } | null }[];
    };
    return new Map(
      cameras.map((c) => [c.id, c.audio ? [c.audio.codec, c.audio.sampleRate, c.audio.channels] : c.audio]),
    );
  }

  /** The export of the camera's second and third segments: both tracks as said, clean, as long as each other. */
  async function checkExport(id: string, codec: string, rate: number, channels: number, from = 1): Promise<string> {
    // The second and third segments: every one after the first starts with the audio known.
    const segments = closed(id).slice(from, from + 2);
    const parsed = await readFragmentedFile(segments[0]!.file);
    assert.equal(parsed.audio?.record.codec, codec, id);
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
    assert.equal(found[1]!.sample_rate, String(rate), id);
    assert.equal(found[1]!.channels, channels, id);
    assert.equal(decodeErrors(file), '', `${id}: ffmpeg decodes both tracks cleanly`);
    const [video, audio] = found.map((s) => Number(s.duration));
    assert.ok(Math.abs(video! - audio!) < 0.25, `${id}: video ${video} s, audio ${audio} s`);
    return url;
  }

  it('lists, records and exports AAC and G.711 (as FLAC) beside the video; ?audio=0 and audio: false leave it out', async () => {
    await waitFor(
      () => ['aac', 'pcma', 'mute'].every((id) => closed(id).length >= 3),
      40_000,
      'three closed segments of each camera',
    );
    const listed = await listedAudio();
    assert.deepEqual(listed.get('aac'), ['aac', 16000, 1]);
    assert.deepEqual(listed.get('pcma'), ['pcma', 8000, 1]);
    assert.equal(listed.get('mute'), null);

    for (const [id, codec, rate] of [
      ['aac', 'aac', 16000],
      ['pcma', 'flac', 8000],
    ] as const) {
      const url = await checkExport(id, codec, rate, 1);
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

  it('takes Opus from RTSP, AAC from HTTP-FLV, G.711 and Opus from files: listed, recorded, exported, served', async () => {
    const ids = ['opus', 'flv', 'filealaw', 'fileopus'];
    await waitFor(
      () => ids.every((id) => closed(id).length >= (id === 'flv' ? 4 : 3)),
      40_000,
      'three closed segments of each camera (four of the HTTP one)',
    );
    const listed = await listedAudio();
    // Opus over RTP is always declared stereo (RFC 7587), whatever the camera encodes.
    assert.deepEqual(
      ids.map((id) => listed.get(id)),
      [
        ['opus', 48000, 2],
        ['aac', 16000, 1],
        ['pcma', 8000, 1],
        ['opus', 48000, 1],
      ],
    );
    await checkExport('opus', 'opus', 48000, 2);
    // The HTTP camera's first segment holds the seconds its probe read, given to the capture at once: it
    // overlaps the second, and an export across both has more video than audio. From the third on.
    await checkExport('flv', 'aac', 16000, 1, 2);
    await checkExport('filealaw', 'flac', 8000, 1);
    await checkExport('fileopus', 'opus', 48000, 1);

    // A viewer that asks for audio is told it is Opus, with its OpusHead.
    const ws = new WebSocket(`${ts!.url.replace('http', 'ws')}/api/cameras/opus/ws?audio=1`);
    const config = await new Promise<{ codec: string; sampleRate: number; description: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no audio-config within 5 s')), 5000);
      ws.on('message', (data, binary) => {
        if (binary) return;
        const message = JSON.parse(String(data)) as {
          type: string;
          codec: string;
          sampleRate: number;
          description: string;
        };
        if (message.type !== 'audio-config') return;
        clearTimeout(timer);
        resolve(message);
      });
      ws.on('error', reject);
    }).finally(() => ws.close());
    assert.deepEqual([config.codec, config.sampleRate], ['opus', 48000]);
    assert.equal(Buffer.from(config.description, 'base64').toString('latin1', 0, 8), 'OpusHead');

    // An RTSP client gets the Opus track and decodes it without an error.
    const rtsp = `rtsp://127.0.0.1:${ts!.server.rtsp!.port}/opus`;
    // Not execFileSync: the server answering it runs in this process.
    const probed = await promisify(execFile)(
      'ffprobe',
      ['-v', 'error', '-rtsp_transport', 'tcp', '-show_streams', '-of', 'json', rtsp],
      { timeout: 20_000 },
    );
    const probe = JSON.parse(probed.stdout) as { streams: Stream[] };
    assert.deepEqual(
      probe.streams.map((s) => [s.codec_type, s.codec_name]),
      [
        ['video', 'h264'],
        ['audio', 'opus'],
      ],
    );
    const heard = await ffmpegRtspAudio(rtsp, 'tcp', 1);
    assert.equal(heard.errors, '');
    // 20 ms packets: 50 a second (the first may come late).
    assert.ok(heard.frames >= 25, `${heard.frames} Opus frames`);
  });
});
