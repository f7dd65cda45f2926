import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AdtsStream, type AdtsFrame } from '../../../src/codec/aac/adts-stream.js';
import { flacFrame, flacMetadataBlocks } from '../../../src/codec/flac/frame.js';
import { decodeG711 } from '../../../src/codec/g711.js';
import { AccessUnitSplitter, type AccessUnit } from '../../../src/codec/h264/access-units.js';
import { buildAvcC } from '../../../src/codec/h264/avcc.js';
import { toAvc } from '../../../src/codec/h264/nal.js';
import { parseSps } from '../../../src/codec/h264/sps.js';
import {
  audioCodecString,
  audioSampleEntry,
  parseAudioSampleEntry,
  type AudioRecord,
} from '../../../src/codec/mp4/audio-sample-entry.js';
import { readBoxes } from '../../../src/codec/mp4/boxes.js';
import {
  audioInitSegment,
  audioMediaSegment,
  audioMimeType,
  initSegment,
  mediaSegment,
  type Sample,
} from '../../../src/codec/mp4/fmp4.js';
import { buildDOps, opusPacketSamples } from '../../../src/codec/opus/opus-head.js';
import { locateFfmpeg } from '../../../src/ffmpeg/locate.js';
import { concat, ffmpegH264 } from '../fixtures.js';
import { adtsAac, decodeFile, decodeToPcm, ffmpegRun, g711 } from '../audio-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'camrelay-audio-mp4-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function aacFrames(adts: Uint8Array): AdtsFrame[] {
  const frames: AdtsFrame[] = [];
  const stream = new AdtsStream({ frame: (f) => frames.push(f), problem: assert.fail, ended: assert.fail });
  stream.push(adts);
  return frames;
}

function aacRecord(frames: AdtsFrame[]): AudioRecord {
  const c = frames[0]!.config;
  return { codec: 'aac', sampleRate: c.sampleRate, channels: c.channels, description: c.audioSpecificConfig };
}

/** An audio-only fragmented MP4: init, then one segment per `per` samples. */
function audioFile(record: AudioRecord, samples: Sample[], per = 10): Uint8Array {
  const parts = [audioInitSegment(record)];
  let t = 0;
  for (let i = 0; i < samples.length; i += per) {
    const run = samples.slice(i, i + per);
    parts.push(audioMediaSegment(parts.length, { baseDecodeTime: t, samples: run }));
    t += run.reduce((n, s) => n + s.duration, 0);
  }
  return concat(parts);
}

function ffprobeStreams(
  path: string,
): { codec_type: string; codec_name: string; sample_rate?: string; channels?: number }[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', path], { encoding: 'utf8' });
  return (
    JSON.parse(out) as {
      streams: { codec_type: string; codec_name: string; sample_rate?: string; channels?: number }[];
    }
  ).streams;
}

describe('MP4 audio sample entries', () => {
  it('AAC in fragmented MP4 beside H.264: ffprobe sees both tracks, ffmpeg decodes both cleanly, the sound unchanged', () => {
    const adts = adtsAac(48000, 2, 2);
    const frames = aacFrames(adts);
    const record = aacRecord(frames);
    assert.equal(audioCodecString(record), 'mp4a.40.2');
    assert.equal(audioMimeType(record), 'audio/mp4; codecs="mp4a.40.2"');

    const aus: AccessUnit[] = [];
    const splitter = new AccessUnitSplitter((au) => aus.push(au));
    splitter.push(ffmpegH264({ width: 160, height: 120, frames: 60, gop: 30 }));
    splitter.flush();
    const first = aus[0]!;
    const sps = parseSps(first.sps[0]!);
    const avcC = buildAvcC({ sps: first.sps, pps: first.pps });
    const parts = [initSegment({ width: sps.width, height: sps.height, avcC, timescale: 90000, audio: record })];
    // One segment per second: 30 pictures and the 47 (of 46.875) AAC frames of that second.
    let audioAt = 0;
    for (let s = 0; s < 2; s++) {
      const video = aus
        .slice(s * 30, s * 30 + 30)
        .map((au) => ({ data: toAvc(au.nalus), duration: 3000, keyframe: au.keyframe }));
      const audioEnd = s === 1 ? frames.length : 47;
      const audio = frames.slice(audioAt, audioEnd).map((f) => ({ data: f.data, duration: 1024, keyframe: true }));
      parts.push(
        mediaSegment({
          sequenceNumber: s + 1,
          baseDecodeTime: s * 90000,
          samples: video,
          audio: { baseDecodeTime: audioAt * 1024, samples: audio },
        }),
      );
      audioAt = audioEnd;
    }
    const path = join(dir, 'av.mp4');
    writeFileSync(path, concat(parts));
    const streams = ffprobeStreams(path);
    assert.deepEqual(
      streams.map((s) => [s.codec_type, s.codec_name]),
      [
        ['video', 'h264'],
        ['audio', 'aac'],
      ],
    );
    assert.equal(streams[1]!.sample_rate, '48000');
    assert.equal(streams[1]!.channels, 2);
    const errors = execFileSync(locateFfmpeg().path, ['-v', 'error', '-xerror', '-i', path, '-f', 'null', '-'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(errors, '');
    const decoded = decodeFile(path);
    assert.equal(decoded.stderr, '');
    assert.deepEqual(decoded.pcm, decodeToPcm(['-f', 'aac'], adts));
  });

  it('G.711 as FLAC in MP4 (fLaC + dfLa) decodes to exactly the G.711 samples', () => {
    const pcm = decodeG711('alaw', g711('alaw', 1));
    const info = { sampleRate: 8000, channels: 1, bitsPerSample: 16, blockSize: 160 };
    const record: AudioRecord = { codec: 'flac', sampleRate: 8000, channels: 1, description: flacMetadataBlocks(info) };
    assert.equal(audioMimeType(record), 'audio/mp4; codecs="flac"');
    const samples: Sample[] = [];
    for (let i = 0; i + 160 <= pcm.length; i += 160) {
      samples.push({ data: flacFrame(info, samples.length, pcm.subarray(i, i + 160)), duration: 160, keyframe: true });
    }
    const path = join(dir, 'flac.mp4');
    writeFileSync(path, audioFile(record, samples));
    assert.deepEqual(
      ffprobeStreams(path).map((s) => s.codec_name),
      ['flac'],
    );
    const decoded = decodeFile(path);
    assert.equal(decoded.stderr, '');
    assert.deepEqual(decoded.pcm, pcm.subarray(0, samples.length * 160));
  });

  it('Opus in MP4 (Opus + dOps): libopus packets decode cleanly', () => {
    // libopus packets, taken from ffmpeg's MP4 through its own -f data of the stream.
    const src = join(dir, 'src.mkv');
    ffmpegRun(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1', '-c:a', 'libopus', '-y', src]);
    const packets = ffmpegRun(['-i', src, '-map', '0:a', '-c', 'copy', '-f', 'data', 'pipe:1']);
    // -f data concatenates packets without lengths: take their sizes from ffprobe instead.
    const sizes = execFileSync(
      'ffprobe',
      ['-v', 'error', '-select_streams', 'a', '-show_entries', 'packet=size', '-of', 'csv=p=0', src],
      { encoding: 'utf8' },
    )
      .split('\n')
      .map((line) => parseInt(line, 10)) // a line may end with side data after a comma
      .filter((size) => size > 0);
    const samples: Sample[] = [];
    let at = 0;
    for (const size of sizes) {
      const data = packets.subarray(at, at + size);
      at += size;
      samples.push({ data, duration: opusPacketSamples(data), keyframe: true });
    }
    const record: AudioRecord = {
      codec: 'opus',
      sampleRate: 48000,
      channels: 1,
      description: buildDOps({ channels: 1, preSkip: 312, inputSampleRate: 48000, outputGain: 0, mappingFamily: 0 }),
    };
    const path = join(dir, 'opus.mp4');
    writeFileSync(path, audioFile(record, samples));
    assert.deepEqual(
      ffprobeStreams(path).map((s) => s.codec_name),
      ['opus'],
    );
    const decoded = decodeFile(path);
    assert.equal(decoded.stderr, '');
    assert.ok(decoded.pcm.length > 40000, `${decoded.pcm.length} samples`);
  });

  it('reads each entry back, and refuses one whose configuration lies about the track', () => {
    const records: AudioRecord[] = [
      { codec: 'aac', sampleRate: 8000, channels: 1, description: Uint8Array.of(0x15, 0x88) },
      {
        codec: 'flac',
        sampleRate: 8000,
        channels: 1,
        description: flacMetadataBlocks({ sampleRate: 8000, channels: 1, bitsPerSample: 16, blockSize: 160 }),
      },
      {
        codec: 'opus',
        sampleRate: 48000,
        channels: 2,
        description: buildDOps({ channels: 2, preSkip: 312, inputSampleRate: 48000, outputGain: 0, mappingFamily: 0 }),
      },
    ];
    for (const record of records) {
      const entry = audioSampleEntry(record);
      assert.deepEqual(parseAudioSampleEntry(entry, readBoxes(entry)[0]!), record);
    }
    assert.throws(
      () => audioSampleEntry({ ...records[0]!, sampleRate: 48000 }),
      /AudioSpecificConfig says 8000 Hz 1 ch, the track 48000 Hz 1 ch/,
    );
    assert.throws(() => audioSampleEntry({ ...records[1]!, channels: 2 }), /STREAMINFO says 8000 Hz 1 ch/);
    assert.throws(() => audioSampleEntry({ ...records[2]!, sampleRate: 44100 }), /Opus track at 44100 Hz/);
    assert.throws(() => audioSampleEntry({ ...records[0]!, description: Uint8Array.of(0x16, 0x88) }), /reserved/);
    // An esds cut short inside its descriptors.
    const entry = audioSampleEntry(records[0]!);
    const cut = entry.slice(0, entry.length - 6);
    new DataView(cut.buffer).setUint32(0, cut.length);
    assert.throws(() => parseAudioSampleEntry(cut, readBoxes(cut)[0]!));
  });
});
