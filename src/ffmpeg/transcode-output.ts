/**
 * What comes out of a transcoder's ffmpeg (MPEG-TS on stdout, transcode-args.ts), as SourceUnits: H.264
 * access units, through one access-unit stream kept across runs (its configuration, the same object while
 * nothing changes, goes on when ffmpeg is started again), or JPEGs; each with its time put back on the
 * input's clock by the run's TimedInput (transcode-input.ts).
 */
import type { Logger } from 'pino';
import { readJpegSize } from '../codec/jpeg.js';
import { NalStream } from '../codec/nal-stream.js';
import type { SourceUnit } from '../media/index.js';
import { jpegConfig } from '../media/jpeg.js';
import { jpegOutputParser, nalSourceUnit, tsPacketParser, type ChunkParser, type PacketTime } from './output.js';
import type { TimedInput } from './transcode-input.js';

export interface TranscodeOutputOptions {
  /** Largest unit accepted. */
  maxUnitBytes: number;
  log: Logger;
  /** Names it in logs. */
  label: string;
  /** Each unit out. */
  unit: (unit: SourceUnit) => void;
  /** The H.264 coming out cannot be followed (src/codec/nal-stream.ts says why): the run is ended. */
  fatal: (reason: string) => void;
}

export class TranscodeOutput {
  private h264: NalStream | undefined;
  /** The time of the packet being handed to the stream, on the input's clock. */
  private readonly time: PacketTime = {};

  constructor(
    private readonly to: 'h264' | 'jpeg',
    private readonly options: TranscodeOutputOptions,
  ) {}

  /** A new run of the transcoder: a stream that gave up stays ended, so the next run gets a new one. */
  reset(): void {
    this.h264 = undefined;
  }

  /** The parser of one ffmpeg's stdout, its times mapped back by that run's input. */
  parser(input: TimedInput): ChunkParser {
    const { maxUnitBytes } = this.options;
    if (this.to === 'jpeg') {
      return jpegOutputParser('mpegts', maxUnitBytes, (jpeg, pts) => {
        const size = readJpegSize(jpeg);
        if (!size) return;
        const unit: SourceUnit = { config: jpegConfig(size.width, size.height), keyframe: true, data: jpeg };
        if (pts !== undefined) unit.pts = input.input(pts);
        this.options.unit(unit);
      });
    }
    const time = this.time;
    this.h264 ??= new NalStream((unit) => this.options.unit(nalSourceUnit(unit, time)), {
      maxAccessUnitBytes: maxUnitBytes,
      log: this.options.log,
      label: this.options.label,
      onFatal: (reason) => this.options.fatal(reason),
    });
    const stream = this.h264;
    // Each packet's time as ffmpeg wrote it, put back on the input's clock before the stream hands it on.
    const written: PacketTime = {};
    return tsPacketParser(
      {
        pushPacket: (packet) => {
          time.pts = written.pts === undefined ? undefined : input.input(written.pts);
          time.dts = written.dts === undefined ? undefined : input.input(written.dts);
          stream.pushPacket(packet);
        },
        gap: (reason) => stream.gap(reason),
      },
      maxUnitBytes,
      written,
    );
  }
}
