/**
 * The viewer pages: web/index.html and what it imports → web/dist/ with
 * content-hashed assets. /player.js is a second build (vite.player.config.ts)
 * because it must stay one self-contained file at a fixed name.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  // Relative asset URLs, so the viewer also works behind a proxy under a path prefix.
  base: './',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
});
