/**
 * /player.js: the <camrelay-player> element as ONE ES module with a fixed
 * name, for pages of other origins (<script type="module" src=".../player.js">).
 * Runs after the pages' build, into the same folder, without emptying it.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2022',
    minify: true,
    sourcemap: false,
    lib: {
      entry: fileURLToPath(new URL('src/player/index.ts', import.meta.url)),
      formats: ['es'],
      fileName: () => 'player.js',
    },
  },
});
