/** Where things are, for tests that run camrelay as its own process. */
import { join } from 'node:path';

/** The repository's root directory. */
export const ROOT = join(import.meta.dirname, '../..');

/** The command-line entry point, `camrelay` (it loads dist/: scripts/test.sh builds it first). */
export const BIN = join(ROOT, 'bin/camrelay.js');
