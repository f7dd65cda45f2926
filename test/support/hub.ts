/**
 * Stand-ins for the parts of a camera that the hub's unit tests do not test: a source driven by hand, and
 * transcoders that make one small unit per unit pushed (recording what they were asked for).
 */
import type { Transcoder, TranscoderFactory, TranscoderInput } from '../../src/hub/derived-track.js';
import type { Codec, TrackConfig } from '../../src/media/index.js';
import type { SourceSink, SourceUnit } from '../../src/media/index.js';
import type { FrameSource } from '../../src/sources/source.js';

/** A source the test drives by hand: the part under test is the stream, not capture. */
export class ScriptedSource implements FrameSource {
  sink: SourceSink | undefined;
  starts = 0;
  stops = 0;
  start(sink: SourceSink): void {
    this.starts++;
    this.sink = sink;
  }
  async stop(): Promise<void> {
    this.stops++;
    this.sink = undefined;
  }
  emit(unit: SourceUnit): void {
    this.sink?.unit(unit);
  }
}

/** An H.264 configuration of the given size (no parameter sets: nothing decodes it). */
export function h264Config(width: number, height: number): TrackConfig {
  return { codec: 'h264', codecString: 'avc1.42E01E', width, height };
}

export interface MadeTranscoder {
  to: Codec;
  input: TranscoderInput;
  stopped: boolean;
  pushed: number;
}

/**
 * A transcoder factory whose transcoders answer each unit pushed with one of `bytes` bytes (H.264 at
 * 32x24, or for a rung at its own width; JPEG 32x24), at once; `made` lists them in order.
 */
export function fakeTranscoders(bytes = 4): { factory: TranscoderFactory; made: MadeTranscoder[] } {
  const made: MadeTranscoder[] = [];
  const factory: TranscoderFactory = (to, input) => {
    const record: MadeTranscoder = { to, input, stopped: false, pushed: 0 };
    made.push(record);
    const config: TrackConfig =
      to === 'jpeg' ? { codec: 'jpeg', codecString: 'jpeg', width: 32, height: 24 } : h264Config(32, 24);
    let sink: SourceSink | undefined;
    const transcoder: Transcoder = {
      start: (s) => (sink = s),
      push: (unit) => {
        record.pushed++;
        sink?.unit({ config, keyframe: unit.keyframe, data: Buffer.alloc(bytes) });
      },
      stop: async () => {
        record.stopped = true;
        sink = undefined;
      },
    };
    return transcoder;
  };
  return { factory, made };
}
