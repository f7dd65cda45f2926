/**
 * A FrameSource that captures through an ffmpeg child process: JPEG units, or
 * H.264 or H.265 units from a camera that sends them (asked once, probe.ts). An HTTP camera that
 * answers multipart MJPEG is read from the very connection that asked it (src/sources/http/): no ffmpeg.
 */
import type { Logger } from 'pino';
import { maskCredentials, sourceSecrets } from '../credentials.js';
import { describeDevice } from '../devices/v4l2.js';
import { jpegFraming, nalFraming } from '../../ffmpeg/capabilities.js';
import { locateFfmpeg } from '../../ffmpeg/locate.js';
import type { NalFraming } from '../../ffmpeg/output.js';
import type { FfmpegChild, FfmpegRun } from '../../ffmpeg/process.js';
import { runFfmpegJpeg, runFfmpegNal } from '../../ffmpeg/run.js';
import type { SourceSink } from '../../media/index.js';
import type { FrameSource } from '../source.js';
import type { CaptureOptions, SourceSpec } from '../spec.js';
import { copiedCodec, ffmpegArgs, isMjpegFile, type UpstreamCodec } from './capture-plan.js';
import { mjpegContentType, probePiped, probeSource, SourceOpenError, type ProbedAudio } from './probe.js';
import { capturedAudioCodec, type CapturedAudio } from '../../ffmpeg/audio-output.js';
import { openHttpStream, readMjpeg, type HttpStream, type MjpegRun } from '../http/camera-connection.js';

const UPSTREAM_PLAN: Record<UpstreamCodec, string> = {
  h264: 'copied as H.264, no decoding',
  h265: 'copied as H.265, no decoding',
  mjpeg: 'JPEGs passed through',
  other: 'encoded to JPEG',
};

/** How long an HTTP camera has to answer the request that asks what it sends. */
const HTTP_ANSWER_MS = 5000;

interface Prepared {
  spec: SourceSpec;
  upstream?: UpstreamCodec;
  framing: NalFraming;
  /** An HTTP camera's multipart MJPEG, on the connection that asked: read by camrelay. */
  stream?: HttpStream;
  /** An HTTP camera's other answer, on the connection that asked: written to ffmpeg's stdin. */
  piped?: HttpStream;
}

/** Writes the stream to ffmpeg's stdin as fast as ffmpeg takes it; ends its stdin at the stream's end. */
function feed(stream: HttpStream, child: FfmpegChild): FfmpegRun {
  const stdin = child.stdin!;
  void (async () => {
    for (let chunk = await stream.read(); chunk && !stdin.destroyed; chunk = await stream.read()) {
      if (!stdin.write(chunk)) {
        await new Promise((resolve) => {
          stdin.once('drain', resolve);
          stdin.once('close', resolve);
        });
      }
    }
    stdin.end();
  })();
  return {
    pid: child.pid,
    async stop() {
      stream.close();
      await child.stop();
    },
  };
}

/** Why a probed audio stream is not read, or undefined when it is. */
function notCaptured(audio: ProbedAudio): string | undefined {
  if (!capturedAudioCodec(audio.name)) return 'not AAC, G.711 or Opus';
  // More channels need Opus's multichannel mapping, which no camera sends.
  if (audio.name === 'opus' && audio.channels > 2) return `Opus with ${audio.channels} channels`;
  return undefined;
}

export class FfmpegSource implements FrameSource {
  private run: FfmpegRun | MjpegRun | undefined;
  /** What the camera sends, once asked (probe.ts). */
  private upstream: UpstreamCodec | undefined;
  /** Its audio stream, when it has one and it was asked for. */
  private audio: ProbedAudio | undefined;
  /** Bumped by stop() so that an asynchronous start that loses the race does nothing. */
  private generation = 0;
  /** Whether the latest run passes the camera's units through (undefined before the first run). */
  private passthrough: boolean | undefined;

  constructor(
    private readonly cameraId: string,
    private readonly spec: SourceSpec,
    private readonly options: CaptureOptions & { maxFrameBytes: number },
    private readonly log: Logger,
  ) {}

  /** The pid of the running ffmpeg, if any (tests kill it to simulate a fault). */
  get pid(): number | undefined {
    return this.run?.pid;
  }

  /** `camera` when the latest run passes the camera's units through, else `mjpeg` (ffmpeg encodes the JPEGs). */
  get encoder(): string | undefined {
    return this.passthrough === undefined ? undefined : this.passthrough ? 'camera' : 'mjpeg';
  }

  start(outer: SourceSink): void {
    const generation = ++this.generation;
    // ffmpeg quotes its input URL in its messages: the reason leaves here with credentials masked.
    const secrets = sourceSecrets(this.spec);
    let units = 0;
    const sink: SourceSink = {
      unit: (unit) => {
        units++;
        outer.unit(unit);
      },
      ...(outer.audio && this.options.audio !== false ? { audio: (unit) => outer.audio!(unit) } : {}),
      ended: (reason) => {
        // Not a single unit: perhaps the camera sends something else now (new firmware, settings); ask again.
        if (units === 0) this.upstream = undefined;
        outer.ended(maskCredentials(reason, secrets));
      },
    };
    let binary: string;
    try {
      binary = locateFfmpeg().path;
    } catch (err) {
      sink.ended((err as Error).message);
      return;
    }
    const degraded = (reason: string): void => this.log.warn({ camera: this.cameraId }, reason);
    void Promise.all([this.prepare(binary), jpegFraming(binary, degraded)]).then(
      ([{ spec, upstream, framing, stream, piped }, timedJpegs]) => {
        if (generation !== this.generation) {
          stream?.close();
          piped?.close();
          return;
        }
        if (stream) {
          this.passthrough = true;
          this.log.debug({ camera: this.cameraId }, 'reading the multipart MJPEG stream');
          this.run = readMjpeg(stream, sink, this.options.maxFrameBytes);
          return;
        }
        const audio = this.capturedAudio();
        // JPEGs with their times, but an HTTP camera's: what its container says of time is not to be trusted.
        const jpegs = spec.kind === 'http' ? 'mpjpeg' : timedJpegs;
        const plan = ffmpegArgs(
          spec,
          this.options,
          this.cameraId,
          upstream,
          framing,
          piped !== undefined,
          audio,
          jpegs,
        );
        this.passthrough = plan.passthrough;
        this.log.debug(
          { camera: this.cameraId, passthrough: plan.passthrough, output: plan.output, upstream },
          'starting ffmpeg',
        );
        const child =
          plan.output !== 'jpeg'
            ? runFfmpegNal(binary, plan.args, sink, {
                codec: plan.output,
                maxAccessUnitBytes: this.options.maxFrameBytes,
                log: this.log,
                label: this.cameraId,
                framing,
                stdin: piped !== undefined,
                ...(plan.audio ? { audio: plan.audio } : {}),
              })
            : runFfmpegJpeg(binary, plan.args, sink, this.options.maxFrameBytes, piped !== undefined, jpegs);
        this.run = piped ? feed(piped, child) : child;
      },
      (err: unknown) => {
        if (generation !== this.generation) return;
        const message = (err as Error).message;
        sink.ended(err instanceof SourceOpenError ? message : `could not prepare capture: ${message}`);
      },
    );
  }

  /**
   * The spec to capture and, for a network camera or a file, what it sends (asked once, then kept). An
   * HTTP camera comes with its open connection: multipart MJPEG is read here (`stream`), anything else is
   * written to ffmpeg's stdin (`piped`).
   */
  private async prepare(binary: string): Promise<Prepared> {
    const spec = await this.resolveSpec();
    if (spec.kind === 'http' && this.options.passthrough !== false) {
      // One request asks and is the capture: a camera may serve one client only.
      const stream = await openHttpStream(spec.url, HTTP_ANSWER_MS);
      if (stream?.boundary) {
        if (this.upstream !== 'mjpeg') this.logUpstream('mjpeg', stream.contentType!);
        this.upstream = 'mjpeg';
        return { spec, upstream: 'mjpeg', framing: 'mpjpeg', stream };
      }
      if (stream && !mjpegContentType(stream.contentType)) {
        // Anything else goes to ffmpeg on its stdin, asked first (on the same bytes) what it is.
        try {
          if (!this.upstream && this.options.passthrough === 'auto') {
            const found = await probePiped(binary, stream);
            this.upstream = found.codec;
            this.audio = this.options.audio === false ? undefined : found.audio;
            this.logUpstream(found.codec, found.detail);
            if (this.audio) this.logAudio(this.audio);
          }
          const framing = copiedCodec(this.upstream) ? await nalFraming(binary) : 'mpjpeg';
          return { spec, ...(this.upstream ? { upstream: this.upstream } : {}), framing, piped: stream };
        } catch (err) {
          stream.close();
          throw err;
        }
      }
      stream?.close();
      if (this.options.passthrough === 'auto' && !this.upstream && mjpegContentType(stream?.contentType)) {
        // One JPEG per request (a snapshot URL): ffmpeg reads it, JPEGs passed through.
        this.logUpstream('mjpeg', stream!.contentType!);
        this.upstream = 'mjpeg';
      }
    }
    if (!this.needsProbe(spec)) {
      const h264 = spec.kind === 'v4l2' && spec.format === 'h264';
      return { spec, framing: h264 ? await nalFraming(binary) : 'mpjpeg' };
    }
    if (!this.upstream) {
      const found = await probeSource(spec, binary, undefined, this.wantsAudio(spec));
      this.upstream = found.codec;
      // A file's or an HTTP stream's probe lists its audio whether asked or not.
      this.audio = this.wantsAudio(spec) ? found.audio : undefined;
      this.logUpstream(found.codec, found.detail);
      if (this.audio) this.logAudio(this.audio);
    }
    // A looped file's H.264 or H.265 goes out in MPEG-TS or raw, never in mpjpeg parts (capture-plan.ts says why).
    const framing = !copiedCodec(this.upstream) ? 'mpjpeg' : await nalFraming(binary);
    return { spec, upstream: this.upstream, framing };
  }

  /** Whether the camera's audio is asked for: an RTSP or HTTP camera or a file, unless `audio: false`. */
  private wantsAudio(spec: SourceSpec): boolean {
    return (spec.kind === 'rtsp' || spec.kind === 'http' || spec.kind === 'file') && this.options.audio !== false;
  }

  /** The audio this capture copies: the probed stream, when camrelay reads it (notCaptured says why not). */
  private capturedAudio(): CapturedAudio | undefined {
    const probed = this.audio;
    const codec = probed && !notCaptured(probed) ? capturedAudioCodec(probed.name) : undefined;
    return probed && codec ? { codec, sampleRate: probed.sampleRate, channels: probed.channels } : undefined;
  }

  private logAudio(audio: ProbedAudio): void {
    // Audio goes beside a copied video only: a capture that encodes JPEGs reads no sound.
    const why = copiedCodec(this.upstream) ? notCaptured(audio) : 'the video is encoded to JPEG';
    this.log.info(
      { camera: this.cameraId, audio: audio.name, sampleRate: audio.sampleRate, channels: audio.channels },
      why ? `camera sends audio (${audio.name}): not read (${why})` : `camera sends audio (${audio.name}): copied`,
    );
  }

  private logUpstream(upstream: UpstreamCodec, detail: string): void {
    this.log.info(
      { camera: this.cameraId, codec: detail, upstream },
      `camera sends ${detail}: ${UPSTREAM_PLAN[upstream]}`,
    );
  }

  private needsProbe(spec: SourceSpec): boolean {
    switch (spec.kind) {
      case 'rtsp':
        return true;
      case 'http':
        return this.options.passthrough === 'auto';
      case 'file':
        return !isMjpegFile(spec.path);
      default:
        return false;
    }
  }

  async stop(): Promise<void> {
    this.generation++;
    const run = this.run;
    this.run = undefined;
    await run?.stop();
  }

  /** A v4l2 camera with no format given uses MJPEG when it offers it, so frames pass through. */
  private async resolveSpec(): Promise<SourceSpec> {
    if (this.spec.kind !== 'v4l2' || this.spec.format) return this.spec;
    const device = await describeDevice(this.spec.device);
    const mjpeg = device.formats.some((f) => f.format === 'mjpeg');
    return mjpeg ? { ...this.spec, format: 'mjpeg' } : this.spec;
  }
}
