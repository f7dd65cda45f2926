/**
 * Security settings: the `auth` and `limits` sections of the config file and
 * the security keys of `server`. Secrets are stored hashed (see secrets.ts,
 * password.ts); the share-link key comes from the file or the environment.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { CAMERA_PATTERN } from '../camera-id.js';
import { isPasswordHash } from './password.js';
import { isTokenHash } from './secrets.js';
import { DEFAULT_MAX_TRANSCODERS } from '../hub/transcoder-slots.js';

const name = z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'a name of 1 to 64 characters from A-Z a-z 0-9 _ . @ -');
const role = z.enum(['admin', 'viewer']);
/** Camera ids, or `edge.*` for every camera a relay edge publishes. */
const cameraList = z.array(z.string().regex(CAMERA_PATTERN, 'a camera id')).max(1024);
/** Recorded video: true, false, or the cameras whose recordings they may watch (default: admins yes, viewers no). */
const recordings = z.union([z.boolean(), cameraList]).optional();

export const userSchema = z.strictObject({
  name,
  password_hash: z.string().refine(isPasswordHash, 'a hash printed by `camrelay hash-password`'),
  /** RTSP Digest: MD5 of `name:camrelay:password` in hex (Digest can check nothing else; Basic needs none). */
  rtsp_digest: z
    .string()
    .regex(/^[0-9a-f]{32}$/, 'the MD5 of name:camrelay:password, 32 hex digits (docs/security.md)')
    .optional(),
  role: role.default('viewer'),
  cameras: cameraList.optional(),
  recordings,
});

export const apiTokenSchema = z.strictObject({
  name,
  token_hash: z.string().refine(isTokenHash, 'a hash printed by `camrelay hash-token` (sha256:<64 hex>)'),
  role: role.default('viewer'),
  cameras: cameraList.optional(),
  recordings,
});

export const authSchema = z
  .strictObject({
    users: z.array(userSchema).max(1000).default([]),
    tokens: z.array(apiTokenSchema).max(1000).default([]),
    /** A token that may read /metrics and nothing else. */
    metrics_token_hash: z.string().refine(isTokenHash, 'sha256:<64 hex>').optional(),
    /** Signs share links and nothing else; CAMRELAY_SHARE_SECRET overrides it. At least 32 characters. */
    share_secret: z.string().min(32).optional(),
    /** Login sessions last this long, in seconds. */
    session_ttl: z
      .number()
      .int()
      .min(60)
      .max(30 * 86_400)
      .default(12 * 3600),
    /** The viewer's HTML, JS and CSS need no credential (they hold no camera data); false to require one. */
    public_pages: z.boolean().default(true),
    /** The longest a share link may live, in seconds: longer ones are neither issued nor accepted. */
    share_max_lifetime: z
      .number()
      .int()
      .min(60)
      .max(365 * 86_400)
      .default(30 * 86_400),
  })
  .default({ users: [], tokens: [], session_ttl: 12 * 3600, public_pages: true, share_max_lifetime: 30 * 86_400 });

export const limitsSchema = z
  .strictObject({
    viewers_per_camera: z.number().int().min(1).max(100_000).default(500),
    viewers_total: z.number().int().min(1).max(100_000).default(2000),
    connections_per_address: z.number().int().min(1).max(100_000).default(200),
    /** Login attempts (failed, or refused as busy) from one client (IPv4 address, IPv6 /64) before it is locked out. */
    login_attempts: z.number().int().min(1).max(1000).default(5),
    /** How long a lockout lasts, in seconds. */
    lockout: z.number().int().min(1).max(86_400).default(900),
    /** Live viewers one credential (a user, an API token, a share link) may hold open at once. */
    viewers_per_credential: z.number().int().min(1).max(100_000).default(50),
    /** Password checks running at once; more wait in a queue of `login_queue` (a quarter per client network), beyond it 503. */
    login_concurrency: z.number().int().min(1).max(64).default(2),
    login_queue: z.number().int().min(0).max(10_000).default(16),
    /** Transcoders (decoders and encoders, each an ffmpeg) in the whole hub; edges' cameras get half. */
    transcoders: z.number().int().min(1).max(1024).default(DEFAULT_MAX_TRANSCODERS),
  })
  .default({
    viewers_per_camera: 500,
    viewers_total: 2000,
    connections_per_address: 200,
    login_attempts: 5,
    lockout: 900,
    viewers_per_credential: 50,
    login_concurrency: 2,
    login_queue: 16,
    transcoders: DEFAULT_MAX_TRANSCODERS,
  });

const origin = z.string().refine((text) => {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text;
  } catch {
    return false;
  }
}, 'an origin like https://example.com (scheme, host, optional port; no path)');

/** An IPv4 or IPv6 address, or a CIDR range of them. */
const addressOrCidr = z.string().refine(isAddressOrCidr, 'an IP address or a CIDR range like 10.0.0.0/8 or fd00::/8');

export function isAddressOrCidr(text: string): boolean {
  const [address = '', bits, ...rest] = text.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** Keys of `server` that are about security. */
export const serverSecurityShape = {
  /**
   * Reverse proxies (addresses or CIDRs) whose X-Forwarded-For / Forwarded, X-Forwarded-Proto and
   * X-Forwarded-Host are believed; from anyone else those headers are ignored.
   */
  trusted_proxies: z.array(addressOrCidr).max(100).default([]),
  allow_anonymous: z.boolean().default(false),
  allowed_origins: z.array(origin).max(100).default([]),
  /** Who may embed camrelay's pages in an iframe (CSP frame-ancestors): origins, or 'self' / 'none'. */
  frame_ancestors: z
    .array(z.union([origin, z.literal("'self'"), z.literal("'none'")]))
    .max(100)
    .default(["'self'"]),
  tls: z
    .strictObject({
      cert: z.string().min(1),
      key: z.string().min(1),
      /** Also listen on this plain-HTTP port and redirect everything to HTTPS. */
      redirect_http_port: z.number().int().min(1).max(65535).optional(),
    })
    .optional(),
};

export type AuthFile = z.infer<typeof authSchema>;
export type LimitsFile = z.infer<typeof limitsSchema>;

export interface SecurityConfig {
  auth: AuthFile;
  limits: LimitsFile;
  allowAnonymous: boolean;
  allowedOrigins: string[];
  frameAncestors: string[];
  /** server.trusted_proxies: forwarded headers are read only from these. */
  trustedProxies: string[];
  tls?: { cert: string; key: string; redirectHttpPort?: number };
}

/** Are credentials of any kind configured? Without them, only loopback binds are allowed (or --allow-anonymous). */
export function authConfigured(config: SecurityConfig): boolean {
  return config.auth.users.length > 0 || config.auth.tokens.length > 0;
}
