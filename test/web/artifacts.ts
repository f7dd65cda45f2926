/** Where the browser tests leave screenshots: test-artifacts/ (gitignored), and docs/ when asked to refresh the README's. */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const ARTIFACTS = `${REPO}test-artifacts/`;
/** `UPDATE_SCREENSHOTS=1 npm test -- test/web/grid.test.ts` rewrites docs/screenshot-*.png. */
export const UPDATE_DOCS = process.env.UPDATE_SCREENSHOTS === '1';

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return ARTIFACTS + name;
}
