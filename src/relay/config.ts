/**
 * Config for cross-network viewing: `publish:` (this server is an edge and
 * publishes its cameras to a hub) and `publishers:` (this server is a hub and
 * accepts these edges). The schemas plug into config/schema.ts; settle()
 * merges the command line into them for config/load.ts.
 */
import {
  publisherRecordSchema,
  settlePublisherRecord,
  settleRecord,
  type CameraRecordConfig,
  type RecordOptions,
} from '../recording/config.js';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CAMERA_ID, CAMERA_ID_RULE } from '../camera-id.js';
import { hashToken, isTokenHash } from '../security/secrets.js';
import type { SourceSpec } from '../sources/spec.js';
import { DEFAULT_MAX_FRAME_BYTES, MAX_CAMERAS_PER_EDGE } from './protocol.js';

/** What of the server's config the relay reads (config/schema.ts's ServerConfig has all of it). */
export interface RelaySettings {
  /** This server's own cameras: what an edge publishes. */
  cameras: readonly { id: string; spec: SourceSpec; motion?: { minDurationMs: number } }[];
  publish?: PublishTarget;
  publishers?: PublisherConfig[];
  publishedCameras?: PublishedCameraOptions;
}

/** Cameras one edge may publish unless its config says otherwise. */
export const DEFAULT_MAX_CAMERAS = 32;
/** How long a gone edge's cameras stay (offline) before they are withdrawn, unless its config says otherwise. */
export const DEFAULT_OFFLINE_GRACE_MS = 60_000;

/** The biggest picture a hub accepts from an edge unless its `max_size` says otherwise. */
export const DEFAULT_MAX_PICTURE = { width: 4096, height: 2160 } as const;

/** A picture size of `publishers[].max_size`: "WxH", each side 16 to 16384. */
const pictureSize = z
  .string()
  .regex(/^\d{2,5}x\d{2,5}$/, 'a picture size "WxH" like 1920x1080')
  .refine((text) => text.split('x').every((n) => Number(n) >= 16 && Number(n) <= 16384), {
    message: 'a picture size "WxH" with each side from 16 to 16384',
  });

/** "1920x1080" as a size (already checked by the schema). */
function parsePictureSize(text: string): PictureSize {
  const [width, height] = text.split('x').map(Number);
  return { width: width!, height: height! };
}

export interface PictureSize {
  width: number;
  height: number;
}

/** A hub never accepts frames bigger than this, whatever a publisher's config says. */
export const MAX_PUBLISHER_FRAME_BYTES = 8 * 1024 * 1024;

const edgeName = z.string().regex(CAMERA_ID, `an edge name of ${CAMERA_ID_RULE}`);
const hubUrl = z.string().regex(/^wss?:\/\/[^/]/i, 'a hub URL like wss://hub.example.net:8443');

export const publishSchema = z.strictObject({
  /** One hub, or several (hubs of a cluster, src/cluster): the edge uses one at a time and moves on when it fails. */
  hub: z.union([hubUrl, z.array(hubUrl).min(1).max(16)]),
  name: edgeName,
  token: z.string().min(16, 'a publish token (at least 16 characters; `camrelay hash-token` makes one)').max(512),
  ca: z.string().min(1).optional(),
  /** What the uplink carries: H.264 when the hub accepts it (auto), or always JPEG. */
  codec: z.enum(['auto', 'h264', 'jpeg'], { error: 'expected one of auto, h264, jpeg' }).optional(),
});

/** publish.codec: `auto` and `h264` send H.264 when the hub accepts it (JPEG otherwise); `jpeg` always JPEG. */
export type PublishCodec = 'auto' | 'h264' | 'jpeg';
const publishCodec = publishSchema.shape.codec;

export const publisherSchema = z.strictObject({
  name: edgeName,
  token_hash: z
    .string()
    .refine(
      isTokenHash,
      'a token hash "sha256:<64 hex digits>" as printed by `camrelay hash-token` ' +
        "(the hub's config holds the hash; the token itself goes to the edge)",
    ),
  max_frame_size: z.number().int().min(1024).max(MAX_PUBLISHER_FRAME_BYTES).optional(),
  max_cameras: z.number().int().min(1).max(MAX_CAMERAS_PER_EDGE).optional(),
  offline_grace: z.number().min(0).max(86_400).optional(),
  /** The biggest picture this edge may send ("WxH", either way round); a bigger one closes its connection. */
  max_size: pictureSize.optional(),
  /** The hub records every camera this edge publishes (camera_defaults' `record:` applies too). */
  record: publisherRecordSchema.optional(),
});

export const publishersSchema = z
  .array(publisherSchema)
  .max(1024)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((p, i) => {
      if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'an edge name used only once' });
      seen.add(p.name);
    });
  });

/** Where and as whom this server publishes its cameras. The token never goes to a log. */
export interface PublishTarget {
  /** The first hub. */
  hub: string;
  /** Every hub, in the order tried (the first is `hub`): the edge moves to the next when one fails. */
  hubs?: string[];
  name: string;
  token: string;
  /** PEM of a CA to trust for the hub's certificate, besides the system's. */
  ca?: Buffer;
  caPath?: string;
  /** What the uplink carries (default auto). */
  codec?: PublishCodec;
}

/** An edge this hub accepts. */
export interface PublisherConfig {
  name: string;
  tokenHash: string;
  maxFrameBytes: number;
  /** Cameras it may publish at once; a bigger announce is refused. */
  maxCameras: number;
  /** After its connection ends, its cameras stay this long (offline), then are withdrawn. */
  offlineGraceMs: number;
  /** The biggest picture it may send (either way round: a portrait camera of the same size fits). */
  maxPicture?: PictureSize;
  /** Present when the hub records the cameras this edge publishes. */
  record?: CameraRecordConfig;
}

export interface RelayCommandLine {
  /** serve --publish-to / publish --hub */
  publishTo?: string;
  name?: string;
  token?: string;
  /** CAMRELAY_PUBLISH_TOKEN: the token when --token is not given, used only when publishing is asked for. */
  envToken?: string;
  ca?: string;
  /** --publish-codec auto|h264|jpeg */
  publishCodec?: string;
  /** --publisher EDGE=TOKEN, repeatable */
  publishers?: string[];
}

export interface RelayFileSection {
  publish?: z.infer<typeof publishSchema>;
  publishers: z.infer<typeof publishersSchema>;
  camera_defaults?: { record?: RecordOptions };
}

export interface RelaySettled {
  publish?: PublishTarget;
  publishers: PublisherConfig[];
}

/** Thrown for a bad relay flag; load.ts turns it into its ConfigError (exit 2). */
export class RelayConfigError extends Error {}

/** What `camrelay hash-token` prints as `token_hash:`: never what a token is expected to be. */
const looksLikeHash = (text: string): boolean => /^sha256:/i.test(text.trim());

/** The line that says which is which, after a hash was given where a token is expected. */
const WHICH_IS_WHICH =
  'the edge holds the token itself (the "token:" line of `camrelay hash-token`: --token, publish.token, ' +
  "CAMRELAY_PUBLISH_TOKEN, or the hub's --publisher EDGE=TOKEN); the hub's config file holds its hash " +
  '(publishers[].token_hash: "sha256:…")';

const withRecord = (record: CameraRecordConfig | undefined) => (record ? { record } : {});

export async function settleRelay(file: RelayFileSection, cli: RelayCommandLine): Promise<RelaySettled> {
  const publishers: PublisherConfig[] = file.publishers.map((p) => ({
    name: p.name,
    tokenHash: p.token_hash,
    maxFrameBytes: p.max_frame_size ?? DEFAULT_MAX_FRAME_BYTES,
    maxCameras: p.max_cameras ?? DEFAULT_MAX_CAMERAS,
    offlineGraceMs: p.offline_grace === undefined ? DEFAULT_OFFLINE_GRACE_MS : Math.round(p.offline_grace * 1000),
    maxPicture: p.max_size === undefined ? DEFAULT_MAX_PICTURE : parsePictureSize(p.max_size),
    ...withRecord(settlePublisherRecord(file.camera_defaults?.record, p.record)),
  }));
  for (const value of cli.publishers ?? []) {
    const eq = value.indexOf('=');
    const name = eq < 0 ? '' : value.slice(0, eq);
    const token = value.slice(eq + 1);
    if (eq < 0 || !CAMERA_ID.test(name) || token.length < 16) {
      throw new RelayConfigError(
        `--publisher: expected EDGE=TOKEN with an edge name of ${CAMERA_ID_RULE} and a token of at least 16 characters`,
      );
    }
    if (looksLikeHash(token))
      throw new RelayConfigError(
        `--publisher ${name}: got a token hash (sha256:…), expected the token: ${WHICH_IS_WHICH}`,
      );
    // The command line replaces a config entry of the same name.
    const entry = {
      name,
      tokenHash: hashToken(token),
      maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
      maxCameras: DEFAULT_MAX_CAMERAS,
      offlineGraceMs: DEFAULT_OFFLINE_GRACE_MS,
      maxPicture: DEFAULT_MAX_PICTURE,
      ...withRecord(settleRecord(file.camera_defaults?.record, undefined)),
    };
    const i = publishers.findIndex((p) => p.name === name);
    // Only the token comes from the command line: the entry's limits stay.
    if (i >= 0) publishers[i] = { ...publishers[i]!, tokenHash: entry.tokenHash };
    else publishers.push(entry);
  }

  // --publish-to takes a comma-separated list; publish.hub a URL or a list of them.
  const hubList = cli.publishTo !== undefined ? cli.publishTo.split(',').map((h) => h.trim()) : file.publish?.hub;
  const hubs = typeof hubList === 'string' ? [hubList] : hubList;
  const hub = hubs?.[0];
  const name = cli.name ?? file.publish?.name;
  const caPath = cli.ca ?? file.publish?.ca;
  if (
    hub === undefined &&
    name === undefined &&
    cli.token === undefined &&
    file.publish === undefined &&
    caPath === undefined
  )
    return { publishers };
  const codecCheck = publishCodec.safeParse(cli.publishCodec ?? file.publish?.codec);
  if (!codecCheck.success)
    throw new RelayConfigError(`--publish-codec: got ${JSON.stringify(cli.publishCodec)}, expected auto, h264 or jpeg`);
  const codec = codecCheck.data;
  const token = cli.token ?? cli.envToken ?? file.publish?.token;
  if (token !== undefined && looksLikeHash(token)) {
    const from =
      cli.token !== undefined ? '--token' : cli.envToken !== undefined ? 'CAMRELAY_PUBLISH_TOKEN' : 'publish.token';
    throw new RelayConfigError(`${from}: got a token hash (sha256:…), expected the token: ${WHICH_IS_WHICH}`);
  }
  const badHub = hubs?.find((h) => !hubUrl.safeParse(h).success);
  const check = z
    .strictObject({ hub: hubUrl, name: edgeName, token: publishSchema.shape.token })
    .safeParse({ hub: badHub ?? hub, name, token });
  if (!check.success) {
    const missing = [
      hub === undefined && 'the hub URL (--hub/--publish-to or publish.hub)',
      name === undefined && 'the edge name (--name or publish.name)',
      token === undefined && 'the token (--token, CAMRELAY_PUBLISH_TOKEN or publish.token)',
    ].filter(Boolean);
    if (missing.length) throw new RelayConfigError(`publishing needs ${missing.join(', ')}`);
    const issue = check.error.issues[0]!;
    // Never echo the token itself.
    const shown =
      issue.path[0] === 'token' ? '(hidden)' : JSON.stringify(issue.path[0] === 'hub' ? (badHub ?? hub) : name);
    throw new RelayConfigError(
      `publish ${String(issue.path[0])}: got ${shown}, expected ${issue.message.replace(/^Invalid input: /, '')}`,
    );
  }
  let ca: Buffer | undefined;
  if (caPath !== undefined) {
    try {
      ca = await readFile(caPath);
    } catch (err) {
      throw new RelayConfigError(
        `${caPath}: cannot read the CA file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  return {
    publishers,
    publish: {
      ...check.data,
      ...(hubs && hubs.length > 1 ? { hubs } : {}),
      ...(ca ? { ca, caPath } : {}),
      ...(codec ? { codec } : {}),
    },
  };
}

/** How the hub runs the cameras edges publish: from camera_defaults (always on demand). */
export interface PublishedCameraOptions {
  idleGraceMs: number;
  stallTimeoutMs: number;
  snapshotTimeoutMs: number;
}
