/**
 * The viewer's audio sender (audio-sender.ts): an audio-config before the first unit and after a change,
 * the unit's message with pts on the 90 kHz clock, nothing while paused, and audio dropped rather than
 * queued (a unit too old, a socket backed up). The socket is a stand-in that records what is sent: the
 * sender is what is tested, the socket's own behaviour is ws's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import type { AudioConfig, AudioUnit } from '../../../src/media/audio.js';
import { WsAudioSender } from '../../../src/outputs/ws/audio-sender.js';
import { decodeAudioHeader } from '../../../src/wire/audio-message.js';
import { CODEC_AUDIO, MAX_AUDIO_BUFFERED_BYTES } from '../../../src/wire/constants.js';

const aac: AudioConfig = {
  codec: 'aac',
  sampleRate: 16000,
  channels: 1,
  codecString: 'mp4a.40.2',
  description: Uint8Array.of(0x14, 0x08),
};

function unit(seq: number, config: AudioConfig = aac, ageMs = 0): AudioUnit {
  const now = Date.now();
  return {
    seq,
    config,
    pts: seq * 1024,
    samples: 1024,
    wallTime: now - ageMs,
    capturedAt: now - ageMs,
    data: Buffer.from([seq, 1, 2, 3]),
  };
}

function socket(): { ws: WebSocket; sent: (string | Buffer)[]; backlog: (bytes: number) => void } {
  const sent: (string | Buffer)[] = [];
  const fake = { readyState: 1, bufferedAmount: 0, send: (m: string | Buffer) => void sent.push(m) };
  return { ws: fake as unknown as WebSocket, sent, backlog: (bytes) => void (fake.bufferedAmount = bytes) };
}

describe('WsAudioSender', () => {
  it('sends the config first, then units with pts in 90 kHz ticks; a new config before the unit that needs it', () => {
    const s = socket();
    const sender = new WsAudioSender(s.ws, () => true);
    sender.onAudio(unit(1));
    sender.onAudio(unit(2));
    const stereo = { ...aac, channels: 2 };
    sender.onAudio(unit(3, stereo));
    assert.equal(s.sent.length, 5);
    assert.deepEqual(JSON.parse(s.sent[0] as string), {
      type: 'audio-config',
      codec: 'mp4a.40.2',
      sampleRate: 16000,
      channels: 1,
      description: 'FAg=',
    });
    const second = s.sent[2] as Buffer;
    assert.equal(second[1], CODEC_AUDIO);
    const header = decodeAudioHeader(second)!;
    assert.deepEqual([header.seq, header.pts, header.samples], [2, 2 * 5760, 1024]);
    assert.deepEqual([...second.subarray(header.headerLength)], [2, 1, 2, 3]);
    assert.equal(JSON.parse(s.sent[3] as string).channels, 2);
    assert.equal(sender.sent, 3);
  });

  it('drops audio rather than queueing it: too old, or behind a backed-up socket; nothing while paused', () => {
    const s = socket();
    let active = true;
    const sender = new WsAudioSender(s.ws, () => active);
    sender.onAudio(unit(1, aac, 1000));
    assert.equal(s.sent.length, 0);
    s.backlog(MAX_AUDIO_BUFFERED_BYTES + 1);
    sender.onAudio(unit(2));
    assert.equal(s.sent.length, 0);
    assert.equal(sender.dropped, 2);
    s.backlog(0);
    active = false;
    sender.onAudio(unit(3));
    assert.equal(s.sent.length, 0);
    active = true;
    sender.onAudio(unit(4));
    assert.equal(s.sent.length, 2); // the config, then the unit
    assert.equal(sender.sent, 1);
  });
});
