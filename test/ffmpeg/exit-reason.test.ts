/** Why an ffmpeg run ended, in words: the meaningful stderr line, never the noise ffmpeg repeats. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exitReason } from '../../src/ffmpeg/exit-reason.js';

describe('exitReason', () => {
  const noise = Array.from(
    { length: 20 },
    () => '[swscaler @ 0x55d1c0a2b3c0] deprecated pixel format used, make sure you did set range correctly',
  );

  it('says the stream ended rather than quoting a repeated warning', () => {
    assert.equal(exitReason({ code: 0, signal: null, stderr: noise }), 'stream ended (ffmpeg exited with code 0)');
  });

  it('names a known failure and quotes the meaningful line, not the last one', () => {
    const stderr = [
      '[tcp @ 0x1082dc00] Connection to tcp://127.0.0.1:1?timeout=0 failed: Connection refused',
      'rtsp://***@127.0.0.1:1/x: Connection refused',
      ...noise,
    ];
    assert.equal(
      exitReason({ code: 1, signal: null, stderr }),
      'connection refused (ffmpeg exited with code 1): rtsp://***@127.0.0.1:1/x: Connection refused',
    );
    assert.equal(
      exitReason({ code: 1, signal: null, stderr: ['/dev/video9: No such file or directory'] }),
      'no such file (ffmpeg exited with code 1): /dev/video9: No such file or directory',
    );
    assert.equal(exitReason({ code: null, signal: 'SIGKILL', stderr: [] }), 'ffmpeg killed by SIGKILL');
    assert.equal(
      exitReason({ code: 1, signal: null, stderr: ['[tcp @ 0xdead] weird'] }),
      'capture failed (ffmpeg exited with code 1): [tcp] weird',
    );
  });
});
