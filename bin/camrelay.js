#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (shipped in the package; in a checkout, `npm start` builds it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('camrelay: dist/ is missing; run `npm run build` in the checkout first.');
  process.exit(1);
}
await import(entry.href);
