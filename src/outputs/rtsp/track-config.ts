/**
 * Which of a camera's tracks an RTSP path reads, and its current configuration (for the SDP): the
 * camera's own H.264 or H.265 (H.264 encoded by camrelay for a JPEG camera), or its H.264 sub-stream.
 * An idle camera is started to find out; the configuration comes with its first unit (at once from the
 * cache of a warm camera).
 */
import type { CameraStream } from '../../hub/camera-stream.js';
import type { Consumer, Quality } from '../../hub/consumer.js';
import type { AudioConfig, Codec, TrackConfig } from '../../media/index.js';
import type { Stream } from './paths.js';

/** A transcoder (a JPEG camera's H.264, a sub-stream) may take this long to give its first unit. */
export const MIN_CONFIG_WAIT_MS = 10_000;

export type TrackChoice =
  | { ok: true; codec: Codec; quality: Quality; config: TrackConfig; audio?: AudioConfig }
  | { ok: false; status: 404 | 503; reason: string };

/** A camera started for this DESCRIBE: how long its audio may come after its first picture. */
const AUDIO_WAIT_MS = 1000;

export async function chooseTrack(camera: CameraStream, stream: Stream): Promise<TrackChoice> {
  const waitMs = Math.max(camera.snapshotTimeoutMs, MIN_CONFIG_WAIT_MS);
  const warm = camera.state === 'online';
  let codec: Codec;
  let quality: Quality = 'main';
  if (stream === 'sub') {
    if (!camera.has('sub')) return { ok: false, status: 404, reason: `camera ${camera.id} has no sub-stream` };
    codec = 'h264';
    quality = 'sub';
  } else {
    const native = camera.native ?? (await camera.knownNative());
    if (native === undefined) return { ok: false, status: 503, reason: `camera ${camera.id} is offline` };
    codec = native === 'h265' ? 'h265' : 'h264';
  }
  const config = await firstConfig(camera, codec, quality, waitMs);
  if (!config) return { ok: false, status: 503, reason: `camera ${camera.id} gave no ${codec} picture in time` };
  // The camera's audio goes with its main stream. A warm camera has told its audio already; one just
  // started may give its first audio unit a moment after its first picture.
  let audio = stream === 'main' ? camera.audioConfig : undefined;
  for (let waited = 0; stream === 'main' && !warm && !audio && waited < AUDIO_WAIT_MS; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    audio = camera.audioConfig;
  }
  return { ok: true, codec, quality, config, ...(audio ? { audio } : {}) };
}

function firstConfig(
  camera: CameraStream,
  codec: Codec,
  quality: Quality,
  timeoutMs: number,
): Promise<TrackConfig | undefined> {
  return new Promise((resolve) => {
    let done = false;
    let unsubscribe: (() => void) | undefined;
    const finish = (config: TrackConfig | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Left after the caller has its answer: a warm camera's idle grace keeps it for the PLAY to come.
      queueMicrotask(() => unsubscribe?.());
      resolve(config);
    };
    const probe: Consumer = {
      onUnit: (unit) => {
        if (!unit.placeholder && unit.config.description) finish(unit.config);
      },
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    try {
      unsubscribe = camera.subscribe(probe, codec, quality);
    } catch {
      finish(undefined); // the camera is closing
      return;
    }
    camera.catchUp(probe, codec, quality);
  });
}
