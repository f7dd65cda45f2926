/** camrelay's version, read from package.json: one level above src/ and dist/ alike. */
import { readFileSync } from 'node:fs';

const packageJson = readFileSync(new URL('../package.json', import.meta.url), 'utf8');

export const VERSION: string = (JSON.parse(packageJson) as { version: string }).version;
