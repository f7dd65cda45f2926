/**
 * The hub's limits on edges' pictures in the config file: `publishers[].max_size` ("WxH", default
 * 4096x2160) and `limits.transcoders` (default 16); a bad value is an error naming the key and the value.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { hashToken } from '../../src/security/secrets.js';
import { TOKEN_A } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'camrelay-relay-config-'));
const hub = (extra: string, head = ''): string => {
  const path = join(dir, 'hub.yaml');
  writeFileSync(path, `${head}publishers:\n  - name: a\n    token_hash: ${hashToken(TOKEN_A)}\n${extra}`);
  return path;
};

async function configError(path: string): Promise<string> {
  try {
    await loadConfig({ config: path });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  throw new Error('expected a ConfigError');
}

describe('publishers[].max_size and limits.transcoders', () => {
  it('settles "WxH", defaulting to 4096x2160, and the transcoder cap to 16', async () => {
    const plain = await loadConfig({ config: hub('') });
    assert.deepEqual(plain.publishers?.[0]?.maxPicture, { width: 4096, height: 2160 });
    assert.equal(plain.security.limits.transcoders, 16);
    const set = await loadConfig({ config: hub('    max_size: 1920x1080\n', 'limits:\n  transcoders: 6\n') });
    assert.deepEqual(set.publishers?.[0]?.maxPicture, { width: 1920, height: 1080 });
    assert.equal(set.security.limits.transcoders, 6);
  });

  it('names the key and the value of a bad one', async () => {
    assert.match(
      await configError(hub('    max_size: huge\n')),
      /publishers\[0\]\.max_size: got "huge", expected a picture size "WxH" like 1920x1080/,
    );
    assert.match(
      await configError(hub('    max_size: 1920x99999\n')),
      /publishers\[0\]\.max_size: got "1920x99999", expected a picture size "WxH" with each side from 16 to 16384/,
    );
    assert.match(await configError(hub('    max_size: 1920\n')), /publishers\[0\]\.max_size: got 1920, expected/);
    assert.match(await configError(hub('', 'limits:\n  transcoders: 0\n')), /limits\.transcoders: got 0, expected/);
  });
});
