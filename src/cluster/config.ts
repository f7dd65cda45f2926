/**
 * `cluster:` in the config file: the NATS servers this hub joins, its name in the cluster, and how it
 * authenticates (what NATS supports: user and password, a token, a creds file, TLS with an optional
 * client certificate). Without the key nothing in the cluster runs. Secrets are never logged or echoed
 * in errors.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CAMERA_ID, CAMERA_ID_RULE } from '../camera-id.js';

const natsUrl = z
  .string()
  .regex(/^(nats|tls|wss?):\/\/[^/\s]+\/?$/i, 'a NATS server URL like nats://nats.example.net:4222');

export const clusterSchema = z.strictObject({
  /** One URL or a list: the client tries them in turn and fails over between them. */
  nats: z.union([natsUrl, z.array(natsUrl).min(1).max(32)]),
  /** This hub's name in the cluster (unique among the hubs). */
  name: z.string().regex(CAMERA_ID, `a hub name of ${CAMERA_ID_RULE}`),
  credentials: z
    .strictObject({
      user: z.string().min(1).max(256).optional(),
      pass: z.string().min(1).max(1024).optional(),
      token: z.string().min(1).max(1024).optional(),
      /** A NATS creds file (JWT and nkey seed), as `nsc` writes it. */
      creds_file: z.string().min(1).optional(),
    })
    .optional(),
  tls: z
    .strictObject({
      /** PEM of the CA that signed the NATS servers' certificates, besides the system's. */
      ca: z.string().min(1).optional(),
      /** A client certificate and its key (PEM files), when the servers verify clients. */
      cert: z.string().min(1).optional(),
      key: z.string().min(1).optional(),
    })
    .optional(),
  /** Seconds between this hub's heartbeats (its part of the catalogue); a hub silent for 3 of them is unreachable. */
  heartbeat: z.number().min(0.2).max(30).optional(),
});

export type ClusterFileSection = z.infer<typeof clusterSchema>;

/** The settled `cluster:` section: what src/cluster runs from. */
export interface ClusterConfig {
  servers: string[];
  name: string;
  user?: string;
  pass?: string;
  token?: string;
  /** The creds file's contents. */
  creds?: Uint8Array;
  tls?: { ca?: string; cert?: string; key?: string };
  heartbeatMs: number;
  /**
   * This hub records the cameras other hubs name it for (`record: { on: <this hub> }`): its config has a
   * `recordings:` section.
   */
  recordsForOthers: boolean;
}

export const DEFAULT_HEARTBEAT_MS = 1000;

/** Thrown for a bad `cluster:` value; config/load.ts turns it into its ConfigError (exit 2). */
export class ClusterConfigError extends Error {}

async function readPem(key: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ClusterConfigError(
      `cluster.${key}: cannot read ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

export async function settleCluster(section: ClusterFileSection | undefined): Promise<ClusterConfig | undefined> {
  if (!section) return undefined;
  const c = section.credentials ?? {};
  if ((c.user === undefined) !== (c.pass === undefined))
    throw new ClusterConfigError('cluster.credentials: user and pass go together (got only one of them)');
  const ways = [c.user !== undefined, c.token !== undefined, c.creds_file !== undefined].filter(Boolean).length;
  if (ways > 1) throw new ClusterConfigError('cluster.credentials: one of user/pass, token or creds_file, not several');
  if ((section.tls?.cert === undefined) !== (section.tls?.key === undefined))
    throw new ClusterConfigError('cluster.tls: cert and key go together (got only one of them)');
  const tls: NonNullable<ClusterConfig['tls']> = {};
  if (section.tls?.ca) tls.ca = await readPem('tls.ca', section.tls.ca);
  if (section.tls?.cert) tls.cert = await readPem('tls.cert', section.tls.cert);
  if (section.tls?.key) tls.key = await readPem('tls.key', section.tls.key);
  const creds = c.creds_file
    ? new TextEncoder().encode(await readPem('credentials.creds_file', c.creds_file))
    : undefined;
  return {
    servers: typeof section.nats === 'string' ? [section.nats] : [...section.nats],
    name: section.name,
    ...(c.user !== undefined ? { user: c.user, pass: c.pass! } : {}),
    ...(c.token !== undefined ? { token: c.token } : {}),
    ...(creds ? { creds } : {}),
    ...(section.tls ? { tls } : {}),
    heartbeatMs: section.heartbeat === undefined ? DEFAULT_HEARTBEAT_MS : Math.round(section.heartbeat * 1000),
    recordsForOthers: false,
  };
}
