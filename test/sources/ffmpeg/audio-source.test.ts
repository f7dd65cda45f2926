// test lane: waiting (1 s captures of 160x120 RTSP cameras: it mostly waits on real time)
/**
 * A camera's audio, with real ffmpeg and GStreamer's RTSP server: AAC and G.711 A-law (µ-law takes the same
 * path; its decoding is in test/codec/g711.test.ts) are copied beside the copied video, to units whose
 * configuration is the camera's, timed by the camera, as many samples as time passes, that decode cleanly;
 * a file's AAC goes on across its loops; `audio: false` reads none.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildAdtsHeader } from '../../../src/codec/aac/adts.js';
import { parseAudioSpecificConfig } from '../../../src/codec/aac/audio-specific-config.js';
import { rememberNalFraming } from '../../../src/ffmpeg/capabilities.js';
import { locateFfmpeg } from '../../../src/ffmpeg/locate.js';
import type { SourceAudioUnit, SourceUnit } from '../../../src/media/index.js';
import type { SourceSpec } from '../../../src/sources/spec.js';
import { ffmpegArgs } from '../../../src/sources/ffmpeg/capture-plan.js';
import { FfmpegSource } from '../../../src/sources/ffmpeg/ffmpeg-source.js';
import { audioStreamOf } from '../../../src/sources/ffmpeg/probe.js';
import {
  quietLogger,
  requireInCi,
  rtspCameraMissing,
  skipOutsideCi,
  startRtspCamera,
  waitFor,
} from '../../support/index.js';

const options = { quality: 80, passthrough: 'auto' as const, maxFrameBytes: 8 * 1024 * 1024 };

async function capture(
  url: string,
  audio: boolean,
  seconds: number,
  spec: SourceSpec = { kind: 'rtsp', url },
): Promise<{ video: SourceUnit[]; sound: SourceAudioUnit[]; arrivals: number[]; ended: string[]; ms: number }> {
  const source = new FfmpegSource('cam', spec, { ...options, audio }, quietLogger());
  const video: SourceUnit[] = [];
  const sound: SourceAudioUnit[] = [];
  const arrivals: number[] = [];
  const ended: string[] = [];
  let first = 0;
  source.start({
    unit: (u) => video.push(u),
    audio: (u) => {
      if (!first) first = performance.now();
      sound.push(u);
      arrivals.push(performance.now() - first);
    },
    ended: (r) => ended.push(r),
  });
  try {
    await waitFor(() => video.length > 0 || ended.length > 0, 30_000, 'the first picture');
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    return { video, sound, arrivals, ended, ms: first ? performance.now() - first : 0 };
  } finally {
    await source.stop();
  }
}

function decodeErrors(format: string, input: Buffer, extra: string[] = []): string {
  return execFileSync(locateFfmpeg().path, ['-v', 'error', ...extra, '-f', format, '-i', 'pipe:0', '-f', 'null', '-'], {
    input,
    encoding: 'utf8',
  });
}

describe('RTSP camera audio', () => {
  it('reads the audio stream line ffmpeg prints', () => {
    assert.deepEqual(audioStreamOf('  Stream #0:1: Audio: aac (LC), 16000 Hz, mono, fltp'), {
      name: 'aac',
      sampleRate: 16000,
      channels: 1,
    });
    assert.deepEqual(audioStreamOf('Stream #0:1: Audio: pcm_alaw, 8000 Hz, 1 channels, s16, 64 kb/s'), {
      name: 'pcm_alaw',
      sampleRate: 8000,
      channels: 1,
    });
    assert.equal(audioStreamOf('Stream #0:1: Audio: opus, 48000 Hz, stereo, fltp')?.channels, 2);
    assert.equal(audioStreamOf('Stream #0:0: Video: h264'), undefined);
  });

  it('plans AAC and Opus into the MPEG-TS, G.711 into FLV on pipe:3 (the MPEG-TS keeping exact times), pipe:3 without MPEG-TS', () => {
    const spec = { kind: 'rtsp' as const, url: 'rtsp://cam/1' };
    const aac = { codec: 'aac' as const, sampleRate: 16000, channels: 1 };
    const pcma = { codec: 'pcma' as const, sampleRate: 8000, channels: 1 };
    const inTs = ffmpegArgs(spec, options, 'cam', 'h264', 'mpegts', false, aac);
    assert.equal(inTs.audio?.inTs, true);
    assert.ok(!inTs.args.includes('-an') && !inTs.args.includes('pipe:3'), inTs.args.join(' '));
    assert.ok(inTs.args.join(' ').includes('-map 0:v:0 -map 0:a:0 -c:a copy'), inTs.args.join(' '));
    assert.ok(!inTs.args.includes('-allowed_media_types'));
    const flv = ffmpegArgs(spec, options, 'cam', 'h264', 'mpegts', false, pcma);
    const text = flv.args.join(' ');
    assert.equal(flv.audio?.flv, true);
    assert.ok(text.includes('-mpegts_copyts 1 -f mpegts pipe:1'), text);
    assert.ok(text.endsWith('-map 0:a:0 -vn -c:a copy -flush_packets 1 -f flv pipe:3'), text);
    const raw = ffmpegArgs(spec, options, 'cam', 'h264', 'mpjpeg', false, pcma).args.join(' ');
    assert.ok(raw.endsWith('-f alaw pipe:3') && !raw.includes('mpegts_copyts'), raw);
    // Opus goes in the MPEG-TS as AAC does; without it, in its own MPEG-TS on pipe:3.
    const opus = { codec: 'opus' as const, sampleRate: 48000, channels: 2 };
    assert.equal(ffmpegArgs(spec, options, 'cam', 'h264', 'mpegts', false, opus).audio?.inTs, true);
    const opusRaw = ffmpegArgs(spec, options, 'cam', 'h264', 'mpjpeg', false, opus).args.join(' ');
    assert.ok(opusRaw.endsWith('-f mpegts pipe:3'), opusRaw);
    // An HTTP camera's container (HTTP-FLV, MPEG-TS) and a file: their audio is copied likewise.
    const http = { kind: 'http' as const, url: 'http://cam/live.flv' };
    const fromHttp = ffmpegArgs(http, options, 'cam', 'h264', 'mpegts', true, pcma);
    assert.equal(fromHttp.audio?.flv, true);
    assert.ok(fromHttp.args.join(' ').includes('-i pipe:0'));
    const file = { kind: 'file' as const, path: '/clips/door.mkv' };
    assert.equal(ffmpegArgs(file, options, 'cam', 'h264', 'mpegts', false, opus).audio?.inTs, true);
    assert.equal(ffmpegArgs(file, options, 'cam', 'h264', 'mpegts', false, pcma).audio?.flv, true);
    // Without audio, as before: the video alone is asked for.
    assert.ok(ffmpegArgs(spec, options, 'cam', 'h264', 'mpegts').args.includes('-allowed_media_types'));
  });

  // Opus over RTP is always declared stereo (RFC 7587): ffmpeg says 2 channels.
  for (const [codec, rate, channels] of [
    ['aac', 16000, 1],
    ['pcma', 8000, 1],
    ['opus', 48000, 2],
  ] as const) {
    const missing = rtspCameraMissing('h264', codec);
    it(`copies ${codec} beside the H.264, as much sound as time passes`, { skip: skipOutsideCi(missing) }, async () => {
      requireInCi(missing);
      const cam = await startRtspCamera({ width: 160, height: 120, fps: 15, keyint: 15, audio: codec });
      try {
        const { video, sound, arrivals, ended, ms } = await capture(cam.url, true, 1);
        assert.deepEqual(ended, []);
        assert.ok(video.length > 5 && video[0]!.keyframe);
        assert.ok(sound.length > 0, 'audio units');
        const config = sound[0]!.config;
        assert.ok(
          sound.every((u) => u.config === config),
          'one configuration',
        );
        assert.deepEqual([config.codec, config.sampleRate, config.channels], [codec, rate, channels]);
        // As many samples as time passed, give or take a unit or two: counted from 300 ms after the first
        // unit, as the probe's packets come at once at the start.
        const late = sound.filter((_, i) => arrivals[i]! > 300);
        const seconds = late.reduce((n, u) => n + u.samples, 0) / rate;
        const window = (ms - 300) / 1000;
        assert.ok(Math.abs(seconds - window) < 0.2, `${seconds} s of sound in ${window} s`);
        if (codec === 'opus') {
          assert.equal(config.codecString, 'opus');
          assert.equal(Buffer.from(config.description!).toString('latin1', 0, 8), 'OpusHead');
          // In the video's MPEG-TS, timed by the camera: 20 ms packets, 960 samples apart (a packet the
          // camera lost on a starved machine leaves a gap of whole packets, never a time of its arrival).
          assert.ok(
            sound.every((u) => u.samples === 960),
            '20 ms packets',
          );
          const steps = sound.slice(1).map((u, i) => u.pts! - sound[i]!.pts!);
          assert.ok(
            steps.every((step) => step > 0 && step % 960 === 0),
            `pts from the source, whole packets apart: ${steps.join(' ')}`,
          );
          assert.ok(
            steps.filter((step) => step === 960).length >= 0.9 * steps.length,
            `pts from the source, nearly all one packet apart: ${steps.join(' ')}`,
          );
          // A build without the MPEG-TS output: Opus in its own MPEG-TS on pipe:3, the same packets.
          const ffmpeg = locateFfmpeg().path;
          rememberNalFraming(ffmpeg, 'mpjpeg');
          try {
            const old = await capture(cam.url, true, 1);
            assert.deepEqual(old.ended, []);
            assert.ok(old.video.length > 5);
            assert.ok(old.sound.length > 10, `${old.sound.length} Opus units`);
            assert.ok(old.sound.every((u) => u.config.codec === 'opus' && u.samples === 960));
          } finally {
            rememberNalFraming(ffmpeg, undefined);
          }
        } else if (codec === 'aac') {
          assert.equal(config.codecString, 'mp4a.40.2');
          // In the video's MPEG-TS, timed by the camera: 1024 samples apart.
          assert.ok(
            sound.every((u, i) => i === 0 || u.pts === sound[i - 1]!.pts! + 1024),
            'pts from the source',
          );
          const asc = parseAudioSpecificConfig(config.description!);
          const adts = Buffer.concat(sound.flatMap((u) => [Buffer.from(buildAdtsHeader(asc, u.data.length)), u.data]));
          assert.equal(decodeErrors('aac', adts), '');
        } else {
          // 20 ms units (shorter at the end of an RTP packet), timed by the camera through FLV: increasing.
          assert.ok(sound.every((u) => u.samples <= 160 && u.data.length === u.samples));
          assert.ok(
            sound.every((u, i) => u.pts !== undefined && (i === 0 || u.pts > sound[i - 1]!.pts!)),
            'pts from the source',
          );
          const format = codec === 'pcma' ? 'alaw' : 'mulaw';
          assert.equal(decodeErrors(format, Buffer.concat(sound.map((u) => u.data)), ['-ar', '8000', '-ac', '1']), '');
        }
      } finally {
        await cam.stop();
      }
    });
  }

  it("copies a file's AAC beside its H.264, its times going on across the file's loops", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-audio-file-'));
    try {
      const path = join(dir, 'clip.mp4');
      execFileSync(locateFfmpeg().path, [
        ...[
          '-v',
          'error',
          '-f',
          'lavfi',
          '-i',
          'testsrc2=size=160x120:rate=15',
          '-f',
          'lavfi',
          '-i',
          'sine=sample_rate=16000',
        ],
        ...['-t', '1', '-c:v', 'libx264', '-g', '15', '-bf', '0', '-c:a', 'aac', '-ac', '1', path],
      ]);
      const { video, sound, ended } = await capture('', true, 2.5, { kind: 'file', path });
      assert.deepEqual(ended, []);
      assert.ok(video.length > 15);
      assert.deepEqual([sound[0]!.config.codec, sound[0]!.config.sampleRate], ['aac', 16000]);
      // Over two loops or more of a one-second file (15.6 units a second): the pts never go back.
      assert.ok(sound.length > 25, `${sound.length} units`);
      assert.ok(
        sound.every((u, i) => i === 0 || u.pts! > sound[i - 1]!.pts!),
        'pts increasing across loops',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    'reads no audio with audio: false, and the video as before',
    { skip: skipOutsideCi(rtspCameraMissing('h264', 'aac')) },
    async () => {
      const cam = await startRtspCamera({ width: 160, height: 120, fps: 15, keyint: 15, audio: 'aac' });
      try {
        const { video, sound, ended } = await capture(cam.url, false, 1);
        assert.deepEqual(ended, []);
        assert.ok(video.length > 5);
        assert.equal(sound.length, 0);
      } finally {
        await cam.stop();
      }
    },
  );
});
