/**
 * What the hub checks of what an edge sends on a camera's link, once it is parsed and its camera found:
 * configurations (video and audio: valid, within the picture limit, not changing too often; taken onto the
 * camera) and binary frames (negotiated, after their configuration, within the size, picture and rate
 * limits, and a buffered frame within what was asked). The session acts on the verdict: it closes the
 * connection, or refuses the edge's pictures (counted apart).
 */
import { readJpegSize } from '../codec/jpeg.js';
import type { CameraLink } from './camera-link.js';
import type { PublisherConfig } from './config.js';
import type { RelayAudioFrame, RelayFrame, RelaySnapshotFrame } from './frames.js';
import type { AudioMessage, ConfigMessage } from './messages.js';
import { checkAccessUnit, relayTrackConfig, sameConfig } from './h264-input.js';
import { checkAudioUnit, relayAudioConfig, sameAudioConfig } from './audio-input.js';
import { churnReason, pictureOverLimit } from './picture-limits.js';
import { MAX_SNAPSHOT_BYTES, RelayClose, type RelayCodec } from './protocol.js';

/** Why a connection was closed for its pictures (counted per edge: GET /api/publishers, /metrics). */
export type PictureRefusal = 'config-churn' | 'picture-size';

/** A frame the hub does not take: close with `code`, or (`refuse`) refuse the edge's pictures; undefined: taken. */
export type LinkVerdict = { close: number; reason: string } | { refuse: PictureRefusal; reason: string } | undefined;

/** What the hellos agreed on, and the edge's limits. */
export interface Negotiated {
  codecs: readonly RelayCodec[];
  publisher: PublisherConfig;
}

const violation = (reason: string): LinkVerdict => ({ close: RelayClose.POLICY_VIOLATION, reason });

/** A video frame (JPEG or H.264, live or buffered) on its camera's link. */
export function checkVideoFrame(frame: RelayFrame, link: CameraLink, agreed: Negotiated): LinkVerdict {
  const { publisher } = agreed;
  if (frame.data.length > publisher.maxFrameBytes) {
    return {
      close: RelayClose.MESSAGE_TOO_BIG,
      reason: `frame of ${frame.data.length} bytes on ${link.edgeCamera}, over the limit of ${publisher.maxFrameBytes}`,
    };
  }
  if (frame.codec === 'h264') {
    if (!agreed.codecs.includes('h264')) return violation('H.264 frame, but H.264 was not negotiated in the hellos');
    if (!link.configured || !link.camera.h264Config)
      return violation(`H.264 unit on ${link.edgeCamera} before its config`);
    const bad = checkAccessUnit(frame.data, frame.keyframe);
    if (bad) return violation(`${link.edgeCamera}: ${bad}`);
  } else {
    // A JPEG's size is its configuration: checked against the limit, its changes counted.
    const size = readJpegSize(frame.data);
    if (size) {
      const over = pictureOverLimit(size, publisher.maxPicture);
      if (over) return { refuse: 'picture-size', reason: `${link.edgeCamera}: ${over}` };
      if (!link.changes.jpeg(size))
        return { refuse: 'config-churn', reason: churnReason(link.edgeCamera, link.changes.count) };
    }
  }
  if (!link.bucket.take()) return violation(`more than ${link.rate} frames/s on ${link.edgeCamera}`);
  // From the edge's pre-roll: only as asked and bounded (a stopped camera's frames in flight are dropped later).
  if (frame.buffered && link.started) {
    const bad = link.buffered(frame.capturedAt, frame.data.length);
    if (bad) return violation(`${link.edgeCamera}: ${bad}`);
  }
  return undefined;
}

/** An audio frame (audio negotiated: the session checks it first): after its camera's `audio` message, sized as that says, within its rate. */
export function checkAudioFrame(frame: RelayAudioFrame, link: CameraLink): LinkVerdict {
  const audio = link.camera.audio;
  if (!link.audioConfigured || !audio) return violation(`audio unit on ${link.edgeCamera} before its audio config`);
  const bad = checkAudioUnit(audio, frame);
  if (bad) return violation(`${link.edgeCamera}: ${bad}`);
  if (!link.audioBucket.take()) return violation(`too many audio units per second on ${link.edgeCamera}`);
  return undefined;
}

/** An event's snapshot: a JPEG within the size and picture limits, at most SNAPSHOTS_PER_SECOND a second. */
export function checkSnapshot(frame: RelaySnapshotFrame, link: CameraLink, agreed: Negotiated): LinkVerdict {
  if (frame.jpeg.length > MAX_SNAPSHOT_BYTES)
    return violation(`${link.edgeCamera}: snapshot of ${frame.jpeg.length} bytes, over ${MAX_SNAPSHOT_BYTES}`);
  const size = readJpegSize(frame.jpeg);
  if (!size) return violation(`${link.edgeCamera}: snapshot is not a JPEG`);
  const over = pictureOverLimit(size, agreed.publisher.maxPicture);
  if (over) return { refuse: 'picture-size', reason: `${link.edgeCamera}: ${over}` };
  if (!link.snapshotBucket.take()) return violation(`too many snapshots per second on ${link.edgeCamera}`);
  return undefined;
}

/** An H.264 configuration (H.264 negotiated: the session checks it first), taken onto the camera when good. */
export function applyConfig(message: ConfigMessage, link: CameraLink, agreed: Negotiated): LinkVerdict {
  const parsed = relayTrackConfig(message);
  if (!parsed.ok) return violation(`${link.edgeCamera}: ${parsed.reason}`);
  const over = pictureOverLimit(parsed.message, agreed.publisher.maxPicture);
  if (over) return { refuse: 'picture-size', reason: `${link.edgeCamera}: ${over}` };
  // The same bytes as before (a reconnect, the edge's encoder restarted) keep the same object.
  if (!sameConfig(link.camera.h264Config, parsed.message)) {
    const previous = link.camera.h264Config;
    link.camera.h264Config = parsed.message;
    if (previous && !link.changes.changed())
      return { refuse: 'config-churn', reason: churnReason(link.edgeCamera, link.changes.count) };
  }
  link.configured = true;
  return undefined;
}

/** An audio configuration (its codec negotiated: the session checks it first), taken onto the camera when good. */
export function applyAudioConfig(message: AudioMessage, link: CameraLink): LinkVerdict {
  const parsed = relayAudioConfig(message);
  if (!parsed.ok) return violation(`${link.edgeCamera}: ${parsed.reason}`);
  // The same configuration as before keeps the same object (consumers compare by identity).
  if (!sameAudioConfig(link.camera.audio?.config, parsed.message.config)) {
    const previous = link.camera.audio;
    link.camera.audio = parsed.message;
    if (previous && !link.audioChanges.changed())
      return { refuse: 'config-churn', reason: churnReason(link.edgeCamera, link.audioChanges.count) };
  }
  link.audioConfigured = true;
  return undefined;
}
