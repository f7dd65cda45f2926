/**
 * Secure by default: bound to loopback, camrelay needs no credentials; bound
 * to anything else, it refuses to start without them unless told
 * --allow-anonymous, which it then warns about at every start.
 */
import { isIP } from 'node:net';
import { authConfigured, type SecurityConfig } from './config.js';

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === '::1' || /^::ffff:127\./i.test(bare);
}

export type Exposure = { ok: true; warning?: string } | { ok: false; message: string };

export function checkExposure(host: string, config: SecurityConfig): Exposure {
  if (isLoopback(host) || authConfigured(config)) return { ok: true };
  if (config.allowAnonymous) {
    return {
      ok: true,
      warning: `serving ${host} WITHOUT authentication (--allow-anonymous): anyone who can reach this port can watch every camera`,
    };
  }
  return {
    ok: false,
    message: [
      `refusing to serve ${host} without authentication: anyone who can reach it could watch every camera.`,
      'Configure credentials in the config file (see docs/security.md), for example:',
      '  auth:',
      '    users:',
      '      - { name: alice, role: admin, password_hash: "<output of: npx camrelay hash-password>" }',
      'or bind to 127.0.0.1, or start with --allow-anonymous if this network is trusted.',
    ].join('\n'),
  };
}
