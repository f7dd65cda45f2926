/**
 * The config file's schema. Times are in seconds. Unknown keys are errors, so
 * a misspelt key is reported rather than silently ignored.
 */
import { z } from 'zod';
import type { SourceSpec } from '../sources/spec.js';
import { ENCODERS, type EncoderChoice } from '../ffmpeg/encoders.js';
import { authSchema, limitsSchema, serverSecurityShape, type SecurityConfig } from '../security/config.js';
import { CAMERA_ID, CAMERA_ID_RULE } from '../camera-id.js';
import { parseSource } from './camera-source.js';
import {
  publishersSchema,
  publishSchema,
  type PublishedCameraOptions,
  type PublisherConfig,
  type PublishTarget,
} from '../relay/config.js';
import { rtspSchema, type RtspConfig } from '../outputs/rtsp/config.js';
import { clusterSchema, type ClusterConfig } from '../cluster/config.js';
import { recordingsSchema, recordSchema, type CameraRecordConfig, type RecordingsConfig } from '../recording/config.js';
import { mqttSchema, webhooksSchema, type MqttConfig, type WebhookConfig } from '../notify/config.js';
import { motionSchema, type CameraMotionConfig } from '../motion/config.js';

/** pino's levels, the file's `log.level` and --log-level alike. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const seconds = (max: number) => z.number().positive().max(max);

export const cameraOptionsSchema = z.strictObject({
  always_on: z.boolean().optional(),
  idle_grace: seconds(86_400).optional(),
  stall_timeout: seconds(3600).optional(),
  snapshot_timeout: seconds(600).optional(),
  quality: z.number().int().min(1).max(100).optional(),
  passthrough: z.union([z.literal('auto'), z.boolean()], { error: 'expected "auto", true or false' }).optional(),
  // When camrelay encodes H.264 (for H.264 viewers of a JPEG camera): which encoder, how many kbit/s
  // (by default from the picture size), how many seconds between keyframes.
  encoder: z.enum(['auto', ...ENCODERS], { error: `expected one of auto, ${ENCODERS.join(', ')}` }).optional(),
  bitrate: z
    .number({ error: 'expected kbit/s, a whole number from 100 to 50000' })
    .int('expected kbit/s, a whole number from 100 to 50000')
    .min(100, 'expected kbit/s, a whole number from 100 to 50000')
    .max(50_000, 'expected kbit/s, a whole number from 100 to 50000')
    .optional(),
  keyframe_interval: z
    .number({ error: 'expected seconds, more than 0 and at most 2' })
    .positive('expected seconds, more than 0 and at most 2')
    .max(2, 'expected seconds, more than 0 and at most 2')
    .optional(),
  // Continuous recording to disk (src/recording): `record: true` or { enabled, retain_days, retain_size }.
  record: recordSchema.optional(),
  // The camera's audio (a camera with a microphone): false drops it everywhere (live, recordings, relay).
  audio: z.boolean().optional(),
  // Motion detection (src/motion): `motion: true` or { enabled, fps, threshold, min_area, min_duration, zones, ... }.
  motion: motionSchema.optional(),
});

export const cameraSchema = cameraOptionsSchema.extend({
  id: z.string().regex(CAMERA_ID, `an id of ${CAMERA_ID_RULE}`),
  name: z.string().min(1).max(200).optional(),
  source: z.string().min(1),
  // The camera's own smaller H.264 stream (an IP camera's "sub" URL), for slow links: same grammar as source.
  substream: z.string().min(1).optional(),
});

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        ...serverSecurityShape,
      })
      .default({
        host: '127.0.0.1',
        port: 8080,
        allow_anonymous: false,
        allowed_origins: [],
        frame_ancestors: ["'self'"],
        trusted_proxies: [],
      }),
    auth: authSchema,
    limits: limitsSchema,
    log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).default({ level: 'info' }),
    camera_defaults: cameraOptionsSchema.default({}),
    cameras: z.array(cameraSchema).max(256).default([]),
    // Cross-network viewing (src/relay): publish this server's cameras to a hub, or accept edges as a hub.
    publish: publishSchema.optional(),
    publishers: publishersSchema.default([]),
    // Where and how much the recorded cameras keep (src/recording).
    recordings: recordingsSchema.optional(),
    // Every camera as an RTSP stream (src/outputs/rtsp); off unless present.
    rtsp: rtspSchema.optional(),
    // Several hubs as one (src/cluster): the NATS servers they meet on, this hub's name.
    cluster: clusterSchema.optional(),
    // Telling the world about motion events (src/notify): an MQTT broker (Home Assistant), webhooks.
    mqtt: mqttSchema.optional(),
    webhooks: webhooksSchema,
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.cameras.forEach((camera, i) => {
      if (seen.has(camera.id))
        ctx.addIssue({ code: 'custom', path: ['cameras', i, 'id'], message: 'a camera id used only once' });
      seen.add(camera.id);
      try {
        parseSource(camera.source);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['cameras', i, 'source'], message: (err as Error).message });
      }
      if (camera.substream === undefined) return;
      try {
        parseSource(camera.substream);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['cameras', i, 'substream'], message: (err as Error).message });
      }
    });
  });

export type ConfigFile = z.infer<typeof configSchema>;

/** A camera with every option settled: what the server builds a stream from. */
export interface CameraConfig {
  id: string;
  name: string;
  source: string;
  spec: SourceSpec;
  /** The camera's own sub-stream (`substream:`), read while someone wants it. */
  substream?: { source: string; spec: SourceSpec };
  alwaysOn: boolean;
  idleGraceMs: number;
  stallTimeoutMs: number;
  snapshotTimeoutMs: number;
  quality: number;
  passthrough: 'auto' | boolean;
  /** H.264 encoding, when camrelay encodes it. */
  encoder: EncoderChoice;
  /** kbit/s; undefined: from the picture size. */
  bitrate?: number;
  /** Seconds between keyframes. */
  keyframeInterval: number;
  /** Present when the camera is recorded to disk. */
  record?: CameraRecordConfig;
  /** Whether the camera's audio is read and passed on (`audio:`, default true). */
  audio: boolean;
  /** Present when motion is detected on the camera (it is then captured all the time). */
  motion?: CameraMotionConfig;
}

export interface ServerConfig {
  host: string;
  port: number;
  security: SecurityConfig;
  logLevel: string;
  cameras: CameraConfig[];
  /** Publish the cameras to a hub (`publish:`, serve --publish-to). */
  publish?: PublishTarget;
  /** Edges allowed to publish to this server (`publishers:`, --publisher). */
  publishers?: PublisherConfig[];
  /** camera_defaults settled, for the cameras edges publish here. */
  publishedCameras?: PublishedCameraOptions;
  /** The recording store (`recordings:`); used when a camera records. */
  recordings?: RecordingsConfig;
  /** The RTSP server (`rtsp:`, --rtsp-port); off when undefined. */
  rtsp?: RtspConfig;
  /** This hub's part in a cluster of hubs (`cluster:`); none: a hub on its own. */
  cluster?: ClusterConfig;
  /** The MQTT broker events go to (`mqtt:`). */
  mqtt?: MqttConfig;
  /** Where events are POSTed (`webhooks:`). */
  webhooks?: WebhookConfig[];
}

export const CAMERA_DEFAULTS = {
  always_on: false,
  idle_grace: 10,
  stall_timeout: 5,
  snapshot_timeout: 5,
  quality: 80,
  passthrough: 'auto' as 'auto' | boolean,
  encoder: 'auto' as EncoderChoice,
  bitrate: undefined as number | undefined,
  keyframe_interval: 1,
  audio: true,
};
