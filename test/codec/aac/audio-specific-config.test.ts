import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  aacCodecString,
  buildAudioSpecificConfig,
  parseAudioSpecificConfig,
} from '../../../src/codec/aac/audio-specific-config.js';
import { CodecError } from '../../../src/codec/errors.js';

const codecError = (code: string) => (error: unknown) => error instanceof CodecError && error.code === code;

describe('AudioSpecificConfig', () => {
  it('builds the 2-byte LC config cameras send and parses it back', () => {
    // 48 kHz stereo AAC-LC is 0x1190, as every encoder writes it.
    const asc = buildAudioSpecificConfig({ objectType: 2, sampleRate: 48000, channelConfiguration: 2 });
    assert.deepEqual([...asc], [0x11, 0x90]);
    // 8 kHz mono (a camera's microphone): 0x1588.
    assert.deepEqual(
      [...buildAudioSpecificConfig({ objectType: 2, sampleRate: 8000, channelConfiguration: 1 })],
      [0x15, 0x88],
    );
    const parsed = parseAudioSpecificConfig(asc);
    assert.deepEqual(parsed, {
      objectType: 2,
      sampleRate: 48000,
      channelConfiguration: 2,
      channels: 2,
      frameLength: 1024,
    });
    assert.equal(aacCodecString(parsed), 'mp4a.40.2');
  });

  it('reads an explicit sample rate, 960-sample frames, 7.1 and explicit HE-AAC', () => {
    // object type 2, index 15, 24-bit rate 44100, channel config 1, frameLengthFlag 1.
    const explicit = Uint8Array.of(0x17, 0x80, 0x56, 0x22, 0x0c, 0x00);
    const p = parseAudioSpecificConfig(explicit);
    assert.equal(p.sampleRate, 44100);
    assert.equal(p.channels, 1);
    assert.equal(p.frameLength, 960);
    assert.equal(parseAudioSpecificConfig(Uint8Array.of(0x11, 0xb8)).channels, 8);
    // HE-AAC: type 5, 24 kHz core, stereo, extension at 48 kHz, then type 2.
    const he = parseAudioSpecificConfig(Uint8Array.of(0x2b, 0x11, 0x88, 0x00));
    assert.equal(he.objectType, 5);
    assert.equal(he.sampleRate, 24000);
    assert.equal(aacCodecString(he), 'mp4a.40.5');
  });

  it('refuses what is not one, with a clear error', () => {
    assert.throws(() => parseAudioSpecificConfig(Uint8Array.of(0x12)), codecError('truncated'));
    // Sampling frequency index 13 is reserved.
    assert.throws(() => parseAudioSpecificConfig(Uint8Array.of(0x16, 0x88)), /index 13 is reserved/);
    // Channel configuration 0: a program config element.
    assert.throws(() => parseAudioSpecificConfig(Uint8Array.of(0x11, 0x80)), /program config element/);
    // Object type 3 (SSR) and type 6+ are not what browsers decode.
    assert.throws(() => parseAudioSpecificConfig(Uint8Array.of(0x19, 0x90)), /object type 3/);
    // An explicit rate of 5 Hz.
    assert.throws(() => parseAudioSpecificConfig(Uint8Array.of(0x17, 0x80, 0x00, 0x02, 0x88)), /rate 5 Hz/);
    assert.throws(() => parseAudioSpecificConfig(new Uint8Array(100)), codecError('too-large'));
    assert.throws(
      () => buildAudioSpecificConfig({ objectType: 2, sampleRate: 47000, channelConfiguration: 2 }),
      /47000 Hz is not in the table/,
    );
    assert.throws(
      () => buildAudioSpecificConfig({ objectType: 2, sampleRate: 48000, channelConfiguration: 9 }),
      codecError('invalid'),
    );
  });
});
