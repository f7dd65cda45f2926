/**
 * Reads the YAML config file and merges the command line into it. Any error
 * names the key, the value found and what was expected, and is meant to end
 * the process with exit code 2.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { parseCameraArgument, parseSource } from './camera-source.js';
import { closestKey } from './closest-key.js';
import { serverSecurityShape } from '../security/config.js';
import { ClusterConfigError, settleCluster } from '../cluster/config.js';
import { RelayConfigError, settleRelay, type RelayCommandLine } from '../relay/config.js';
import { settleRtsp } from '../outputs/rtsp/config.js';
import { settleRecord, settleRecordings, type RecordOptions } from '../recording/config.js';
import { settleMqtt, settleWebhooks } from '../notify/config.js';
import { settleMotion, type MotionOptions } from '../motion/config.js';
import {
  CAMERA_DEFAULTS,
  configSchema,
  LOG_LEVELS,
  type CameraConfig,
  type ConfigFile,
  type ServerConfig,
} from './schema.js';

export class ConfigError extends Error {
  readonly exitCode = 2;
}

export interface CommandLine extends RelayCommandLine {
  config?: string;
  host?: string;
  port?: number;
  /** Turns the RTSP server on at this port. */
  rtspPort?: number;
  cameras?: string[];
  logLevel?: string;
  allowAnonymous?: boolean;
  allowOrigins?: string[];
}

function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)),
    '',
  );
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function show(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Secrets are never echoed: a token, or what looks like one where its hash belongs, shows as hidden. */
function shown(raw: unknown, path: readonly PropertyKey[]): string {
  const key = path[path.length - 1];
  const value = valueAt(raw, path);
  const tokenLike = typeof value === 'string' && value.length >= 16 && !value.startsWith('sha256:');
  return key === 'token' || (key === 'token_hash' && tokenLike) ? '(hidden)' : show(value);
}

/**
 * One line per problem: `cameras[1].fps: got "abc", expected a number`; an unknown key with the
 * known one nearest to it (`cameras[0].stall_timout: unknown key (value 20); did you mean stall_timeout?`).
 */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  schema: z.ZodType = configSchema,
): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const where = pathText(issue.path);
      return issue.keys
        .map((k) => {
          const near = closestKey(schema, issue.path, k);
          const hint = near ? `; did you mean ${where ? `${where}.` : ''}${near}?` : '';
          return `${where ? `${where}.` : ''}${k}: unknown key (value ${shown(raw, [...issue.path, k])})${hint}`;
        })
        .join('\n');
    }
    const where = pathText(issue.path) || '(top level)';
    const message = issue.message.replace(/^(Invalid input|Invalid option|Too big|Too small): /, '');
    return `${where}: got ${shown(raw, issue.path)}, ${message.startsWith('expected') ? message : `expected ${message}`}`;
  });
}

/**
 * `file: not valid YAML at line 2, column 9: <what>`, then the offending line
 * (and the one before it, for context) with a caret under the column.
 */
function describeYamlError(err: unknown, text: string, file: string): string {
  if (!(err instanceof YAMLParseError) || !err.linePos) return `${file}: not valid YAML: ${(err as Error).message}`;
  const { line, col } = err.linePos[0];
  // The library's message ends with its own position and excerpt; ours replace them.
  const what = err.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
  const lines = text.split(/\r?\n/);
  const width = String(line).length;
  const numbered = (n: number): string => {
    const content = lines[n - 1];
    const atEnd = content === undefined || (content === '' && n === lines.length);
    return `  ${String(n).padStart(width)} | ${atEnd ? '(end of file)' : content}`;
  };
  const excerpt = line > 1 ? [numbered(line - 1), numbered(line)] : [numbered(line)];
  // Tabs before the column stay tabs, so the caret lines up however the terminal shows them.
  const lead = (lines[line - 1] ?? '').slice(0, col - 1).replace(/[^\t]/g, ' ');
  excerpt.push(`  ${' '.repeat(width)} | ${lead}^`);
  return `${file}: not valid YAML at line ${line}, column ${col}: ${what}\n${excerpt.join('\n')}`;
}

export function parseConfigText(text: string, file: string): ConfigFile {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(describeYamlError(err, text, file));
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(`${file}: invalid config\n  ${describeIssues(result.error.issues, raw).join('\n  ')}`);
  }
  return result.data;
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
};

/** Names the path tried and, for a relative one, the directory it was looked up from. */
function describeReadError(err: unknown, given: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  const why = (code && READ_ERRORS[code]) ?? code ?? (err as Error).message;
  const tried = resolve(given);
  const where = isAbsolute(given) ? '' : ` (${tried}, relative to the working directory ${process.cwd()})`;
  return `cannot read config file ${given}${where}: ${why}${code && code !== why ? ` (${code})` : ''}`;
}

/** `env`: the environment the server will run in (systemd's $STATE_DIRECTORY sets the recordings' default). */
export async function loadConfig(cli: CommandLine, env: NodeJS.ProcessEnv = process.env): Promise<ServerConfig> {
  let file: ConfigFile = configSchema.parse({});
  if (cli.config) {
    let text: string;
    try {
      text = await readFile(cli.config, 'utf8');
    } catch (err) {
      throw new ConfigError(describeReadError(err, cli.config));
    }
    file = parseConfigText(text, cli.config);
  }
  const defaults = { ...CAMERA_DEFAULTS, ...stripUndefined(file.camera_defaults) };
  const recordDefaults = file.camera_defaults.record;
  const motionDefaults = file.camera_defaults.motion;
  const cameras = file.cameras.map((c) => ({
    ...settleCamera(c.id, c.name ?? c.id, c.source, { ...defaults, ...stripUndefined(c) }, recordDefaults, c.record),
    ...motionOf(motionDefaults, c.motion),
    ...(c.substream === undefined ? {} : { substream: { source: c.substream, spec: parseSource(c.substream) } }),
  }));
  for (const value of cli.cameras ?? []) {
    let arg;
    try {
      arg = parseCameraArgument(value);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
    const id = arg.id;
    if (cameras.some((c) => c.id === id))
      throw new ConfigError(`--camera ${id}: a camera with id "${id}" is already defined`);
    cameras.push({ ...settleCamera(id, id, arg.source, defaults, recordDefaults), ...motionOf(motionDefaults) });
  }
  // The embedded default: a test pattern, so a first start shows live video on any machine
  // (not on a hub that serves only what edges publish: their cameras would share a grid with it).
  // Nor on a hub of a cluster: it lists the other hubs' cameras.
  const hubOnly = file.publishers.length > 0 || (cli.publishers?.length ?? 0) > 0 || file.cluster !== undefined;
  if (cameras.length === 0 && !hubOnly) cameras.push(settleCamera('testsrc', 'Test pattern', 'testsrc', defaults));
  if (cli.port !== undefined && (!Number.isInteger(cli.port) || cli.port < 0 || cli.port > 65535)) {
    throw new ConfigError(`--port: got ${show(cli.port)}, expected a whole number from 0 to 65535`);
  }
  if (cli.logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(cli.logLevel)) {
    throw new ConfigError(`--log-level: got ${show(cli.logLevel)}, expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const allowedOrigins = [...file.server.allowed_origins];
  for (const origin of cli.allowOrigins ?? []) {
    const parsed = serverSecurityShape.allowed_origins.safeParse([origin]);
    if (!parsed.success)
      throw new ConfigError(
        `--allow-origin: got ${show(origin)}, expected an origin like https://example.com (scheme, host, optional port; no path)`,
      );
    allowedOrigins.push(origin);
  }
  const relay = await settleRelay(file, cli).catch((err: unknown) => {
    throw err instanceof RelayConfigError ? new ConfigError(err.message) : err;
  });
  if (cli.rtspPort !== undefined && (!Number.isInteger(cli.rtspPort) || cli.rtspPort < 0 || cli.rtspPort > 65535)) {
    throw new ConfigError(`--rtsp-port: got ${show(cli.rtspPort)}, expected a whole number from 0 to 65535`);
  }
  const rtsp = settleRtsp(file.rtsp, cli.rtspPort, cli.host ?? file.server.host);
  const cluster = await settleCluster(file.cluster).catch((err: unknown) => {
    throw err instanceof ClusterConfigError ? new ConfigError(err.message) : err;
  });
  // `record.on`: another hub of the cluster records the camera; this one does not.
  for (const camera of cameras) {
    const on = camera.record?.on;
    if (on === undefined) continue;
    if (!cluster)
      throw new ConfigError(
        `cameras ${camera.id}: record.on: got ${JSON.stringify(on)}, but this hub has no cluster: section (record.on names another hub of its cluster)`,
      );
    if (on === cluster.name) delete camera.record!.on;
  }
  if (cluster) cluster.recordsForOthers = file.recordings !== undefined;
  const tls = file.server.tls;
  return {
    ...(rtsp ? { rtsp } : {}),
    ...(cluster ? { cluster } : {}),
    host: cli.host ?? file.server.host,
    port: cli.port ?? file.server.port,
    logLevel: cli.logLevel ?? file.log.level,
    cameras,
    recordings: settleRecordings(file.recordings, recordDefaults, env),
    ...(file.mqtt ? { mqtt: settleMqtt(file.mqtt)! } : {}),
    webhooks: settleWebhooks(file.webhooks),
    ...relay,
    publishedCameras: {
      idleGraceMs: defaults.idle_grace * 1000,
      stallTimeoutMs: defaults.stall_timeout * 1000,
      snapshotTimeoutMs: defaults.snapshot_timeout * 1000,
    },
    security: {
      auth: file.auth,
      limits: file.limits,
      allowAnonymous: cli.allowAnonymous ?? file.server.allow_anonymous,
      allowedOrigins,
      frameAncestors: file.server.frame_ancestors,
      trustedProxies: file.server.trusted_proxies,
      ...(tls ? { tls: { cert: tls.cert, key: tls.key, redirectHttpPort: tls.redirect_http_port } } : {}),
    },
  };
}

function settleCamera(
  id: string,
  name: string,
  source: string,
  o: typeof CAMERA_DEFAULTS,
  recordDefaults?: RecordOptions,
  record?: RecordOptions,
): CameraConfig {
  const recording = settleRecord(recordDefaults, record);
  return {
    id,
    name,
    source,
    spec: parseSource(source),
    alwaysOn: o.always_on,
    idleGraceMs: o.idle_grace * 1000,
    stallTimeoutMs: o.stall_timeout * 1000,
    snapshotTimeoutMs: o.snapshot_timeout * 1000,
    quality: o.quality,
    passthrough: o.passthrough,
    encoder: o.encoder,
    ...(o.bitrate !== undefined ? { bitrate: o.bitrate } : {}),
    keyframeInterval: o.keyframe_interval,
    ...(recording ? { record: recording } : {}),
    audio: o.audio,
  };
}

/** The camera's settled `motion:` as a spread: nothing when it detects no motion. */
function motionOf(defaults?: MotionOptions, own?: MotionOptions): { motion?: CameraConfig['motion'] } {
  const motion = settleMotion(defaults, own);
  return motion ? { motion } : {};
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
