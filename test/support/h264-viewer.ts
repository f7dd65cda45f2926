/**
 * An H.264 viewer of the v1 protocol (`?codec=h264`, acking each unit) that keeps what it got as one
 * Annex B stream (each config's SPS/PPS before the units that need it), for ffmpeg to decode.
 */
import { spawnSync } from 'node:child_process';
import { parseAvcC } from '../../src/codec/h264/avcc.js';
import { avcToAnnexB, joinAnnexB } from '../../src/codec/h264/nal.js';
import { locateFfmpeg } from '../../src/ffmpeg/locate.js';
import { V1Client, wsUrl } from './v1-client.js';

export class H264Viewer {
  readonly parts: Buffer[] = [];
  configs = 0;
  units = 0;
  /** Receipt time of the first config and the first unit (ms, performance clock). */
  firstConfigAt: number | undefined;
  firstUnitAt: number | undefined;
  readonly openedAt = performance.now();

  private constructor(readonly client: V1Client) {
    client.ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (!isBinary) {
        const m = JSON.parse(buf.toString()) as { type: string; description?: string };
        if (m.type !== 'config') return;
        const avcC = parseAvcC(Buffer.from(m.description!, 'base64'));
        this.parts.push(Buffer.from(joinAnnexB([...avcC.sps, ...avcC.pps])));
        this.configs++;
        this.firstConfigAt ??= performance.now();
        return;
      }
      this.parts.push(Buffer.from(avcToAnnexB(buf.subarray(buf[3]!))));
      this.units++;
      this.firstUnitAt ??= performance.now();
    });
  }

  static async open(httpUrl: string, camera: string, timeoutMs = 20_000): Promise<H264Viewer> {
    return new H264Viewer(
      await V1Client.openWhenReady(wsUrl(httpUrl, camera, '?codec=h264'), timeoutMs, { autoAck: true }),
    );
  }

  get firstIsKeyframe(): boolean {
    const first = this.client.frames[0];
    return first !== undefined && (first.flags & 1) === 1;
  }

  close(): void {
    this.client.close();
  }

  /** ffmpeg decodes what it got: the pictures it made and what it said on stderr (errors only). */
  decode(): { frames: number; errors: string; status: number | null } {
    const run = spawnSync(
      locateFfmpeg().path,
      ['-hide_banner', '-v', 'error', '-f', 'h264', '-i', '-', '-f', 'framecrc', '-'],
      { input: Buffer.concat(this.parts), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    // One line per decoded picture (after the # header lines).
    const frames = run.stdout.split('\n').filter((line) => line && !line.startsWith('#')).length;
    return { frames, errors: run.stderr.trim(), status: run.status };
  }
}
