/** Bundles a page script of test/web/pages (TypeScript importing web/src) into one ES module, with Vite. */
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export async function bundlePage(name: string): Promise<string> {
  const entry = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const output = await build({
    configFile: false,
    logLevel: 'silent',
    publicDir: false,
    build: {
      write: false,
      target: 'es2022',
      minify: false,
      lib: { entry, formats: ['es'], fileName: () => `${name}.js` },
    },
  });
  const outputs = Array.isArray(output) ? output : [output];
  for (const out of outputs) {
    if (!('output' in out)) continue;
    for (const chunk of out.output) if (chunk.type === 'chunk' && chunk.isEntry) return chunk.code;
  }
  throw new Error(`bundling ${name} gave no entry chunk`);
}
