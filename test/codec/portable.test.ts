/**
 * src/codec/ is shared with the browser: plain TypeScript over Uint8Array and
 * DataView, no Node built-ins. Checked twice: by reading the sources, and by
 * compiling them without Node's types (test/codec/tsconfig.portable.json).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../support/paths.js';

const CODEC = join(ROOT, 'src', 'codec');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('src/codec is portable', () => {
  it('imports only its own modules and names no Node global', () => {
    const files = sources(CODEC);
    assert.ok(files.length >= 8);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      for (const match of code.matchAll(/from\s+'([^']+)'/g)) {
        assert.match(match[1]!, /^\.\.?\//, `${file} imports ${match[1]}`);
      }
      for (const banned of [/\bBuffer\b/, /\bprocess\b/, /\brequire\s*\(/, /\bimport\s*\(/, /\bglobalThis\b/]) {
        assert.doesNotMatch(code, banned, `${file} uses ${banned}`);
      }
    }
  });

  it('compiles with neither Node nor DOM types', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const out = execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'test', 'codec', 'tsconfig.portable.json')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(out.trim(), '');
  });
});
