/**
 * What Chromium makes of camrelay's audio: AAC, G.711 repacked as FLAC, and Opus in fragmented MP4 played
 * by Media Source Extensions (the `<audio>` element's decoded bytes grow), and AAC and G.711 decoded by
 * WebCodecs' AudioDecoder with the descriptions camrelay gives. One page, a second of sound each.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { AdtsStream, type AdtsFrame } from '../../../src/codec/aac/adts-stream.js';
import { mp4AudioTrack, type AudioTrackConfig } from '../../../src/codec/mp4/audio-track.js';
import { audioInitSegment, audioMediaSegment, audioMimeType } from '../../../src/codec/mp4/fmp4.js';
import { buildOpusHead, opusPacketSamples, parseOpusHead } from '../../../src/codec/opus/opus-head.js';
import { requireInCi, skipOutsideCi } from '../../support/ci.js';
import { CHROMIUM, launchBrowser } from '../../web/browser.js';
import { adtsAac, ffmpegRun, g711 } from '../audio-fixtures.js';

const MISSING = existsSync(CHROMIUM) ? undefined : `no chromium at ${CHROMIUM}`;

interface Units {
  config: AudioTrackConfig;
  units: { data: Uint8Array; samples: number }[];
}

function aacUnits(): Units {
  const frames: AdtsFrame[] = [];
  new AdtsStream({ frame: (f) => frames.push(f), problem: () => {}, ended: () => {} }).push(adtsAac(16000, 1, 1));
  const c = frames[0]!.config;
  return {
    config: { codec: 'aac', sampleRate: c.sampleRate, channels: c.channels, description: c.audioSpecificConfig },
    units: frames.map((f) => ({ data: f.data, samples: 1024 })),
  };
}

function alawUnits(): Units {
  const bytes = g711('alaw', 1);
  const units = [];
  for (let i = 0; i + 160 <= bytes.length; i += 160) units.push({ data: bytes.subarray(i, i + 160), samples: 160 });
  return { config: { codec: 'pcma', sampleRate: 8000, channels: 1 }, units };
}

/** libopus packets from ffmpeg's Ogg (each page one packet: ffmpeg writes them so at this rate). */
function opusUnits(): Units {
  const ogg = ffmpegRun([
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1', '-c:a', 'libopus'],
    ...['-page_duration', '20000', '-f', 'ogg', 'pipe:1'],
  ]);
  const packets: Uint8Array[] = [];
  for (let at = 0; at + 27 <= ogg.length;) {
    const segments = ogg[at + 26]!;
    const table = ogg.subarray(at + 27, at + 27 + segments);
    let body = at + 27 + segments;
    let packet = 0;
    for (const lace of table) {
      packet += lace;
      if (lace < 255) {
        packets.push(ogg.subarray(body, body + packet));
        body += packet;
        packet = 0;
      }
    }
    at = body + packet;
  }
  const head = packets.shift()!; // OpusHead, then OpusTags
  packets.shift();
  return {
    config: { codec: 'opus', sampleRate: 48000, channels: 1, description: buildOpusHead(parseOpusHead(head)) },
    units: packets.map((data) => ({ data, samples: opusPacketSamples(data) })),
  };
}

interface Prepared {
  mime: string;
  file: Uint8Array;
  codec: string;
  sampleRate: number;
  description?: Uint8Array;
  raw: Uint8Array[];
}

function prepare({ config, units }: Units, codec: string): Prepared {
  const track = mp4AudioTrack(config);
  const samples = units.map((u) => ({ data: track.sample(u.data, u.samples), duration: u.samples, keyframe: true }));
  const parts = [audioInitSegment(track.record)];
  for (let i = 0, t = 0; i < samples.length; i += 10) {
    const run = samples.slice(i, i + 10);
    parts.push(audioMediaSegment(parts.length, { baseDecodeTime: t, samples: run }));
    t += run.reduce((n, s) => n + s.duration, 0);
  }
  const file = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (file.set(p, at), at + p.length), 0);
  return {
    mime: audioMimeType(track.record),
    file,
    codec,
    sampleRate: config.sampleRate,
    ...(config.description ? { description: config.description } : {}),
    raw: units.map((u) => u.data),
  };
}

describe('camrelay audio in Chromium', { skip: skipOutsideCi(MISSING) }, () => {
  let browser: Browser;
  let server: Server;
  let page: Page;
  const prepared: Record<string, Prepared> = {
    aac: prepare(aacUnits(), 'mp4a.40.2'),
    alaw: prepare(alawUnits(), 'alaw'),
    opus: prepare(opusUnits(), 'opus'),
  };

  before(async () => {
    requireInCi(MISSING);
    server = createServer((req, res) => {
      const [, name, what, index] = (req.url ?? '').split('/');
      const p = name ? prepared[name] : undefined;
      const body = !name
        ? '<!doctype html><title>audio</title>'
        : what === 'file'
          ? p?.file
          : what === 'description'
            ? p?.description
            : what === 'raw'
              ? p?.raw[Number(index)]
              : undefined;
      if (body === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/octet-stream' });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    browser = await launchBrowser(['--autoplay-policy=no-user-gesture-required']);
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });
  after(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  for (const name of ['aac', 'alaw', 'opus']) {
    it(`${name}: MSE plays the fMP4 (${name === 'alaw' ? 'G.711 as FLAC' : name}) and decodes it`, async () => {
      const p = prepared[name]!;
      const result = (await page.evaluate(`(async () => {
        const mime = ${JSON.stringify(p.mime)};
        if (!MediaSource.isTypeSupported(mime)) return { error: 'unsupported ' + mime };
        const bytes = new Uint8Array(await (await fetch('/${name}/file')).arrayBuffer());
        const audio = document.createElement('audio');
        document.body.append(audio);
        const source = new MediaSource();
        audio.src = URL.createObjectURL(source);
        await new Promise((resolve) => source.addEventListener('sourceopen', resolve, { once: true }));
        const buffer = source.addSourceBuffer(mime);
        await new Promise((resolve, reject) => {
          buffer.addEventListener('updateend', resolve, { once: true });
          buffer.addEventListener('error', () => reject(new Error('SourceBuffer error')), { once: true });
          buffer.appendBuffer(bytes);
        }).catch((e) => ({ error: String(e) }));
        source.endOfStream();
        const buffered = buffer.buffered.length ? buffer.buffered.end(0) - buffer.buffered.start(0) : 0;
        await audio.play().catch(() => {});
        for (let i = 0; i < 50 && !(audio.webkitAudioDecodedByteCount > 0); i++) await new Promise((r) => setTimeout(r, 100));
        return { buffered, decoded: audio.webkitAudioDecodedByteCount, mediaError: audio.error && audio.error.message };
      })()`)) as { error?: string; buffered?: number; decoded?: number; mediaError?: string | null };
      assert.equal(result.error, undefined);
      assert.equal(result.mediaError, null);
      assert.ok(result.buffered! > 0.9, `buffered ${result.buffered} s`);
      assert.ok(result.decoded! > 0, `decoded ${result.decoded} bytes`);
    });
  }

  for (const name of ['aac', 'alaw']) {
    it(`${name}: WebCodecs' AudioDecoder decodes every unit`, async () => {
      const p = prepared[name]!;
      const result = (await page.evaluate(`(async () => {
        const get = async (path) => new Uint8Array(await (await fetch('/${name}/' + path)).arrayBuffer());
        const config = { codec: ${JSON.stringify(p.codec)}, sampleRate: ${p.sampleRate}, numberOfChannels: 1 };
        ${p.description ? "config.description = await get('description');" : ''}
        const support = await AudioDecoder.isConfigSupported(config);
        if (!support.supported) return { error: 'unsupported ' + config.codec };
        let frames = 0;
        let failure;
        const decoder = new AudioDecoder({ output: (data) => { frames += data.numberOfFrames; data.close(); }, error: (e) => (failure = String(e)) });
        decoder.configure(config);
        let t = 0;
        for (let i = 0; i < ${p.raw.length}; i++) {
          const data = await get('raw/' + i);
          decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: t, data }));
          t += 20000;
        }
        await decoder.flush();
        return { frames, failure };
      })()`)) as { error?: string; frames?: number; failure?: string };
      assert.equal(result.error, undefined);
      assert.equal(result.failure, undefined);
      assert.ok(result.frames! > p.sampleRate * 0.8, `${result.frames} samples decoded`);
    });
  }
});
