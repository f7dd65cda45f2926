/**
 * The code's shape: no import cycle between files, nor between folders at any depth, in src/ and in
 * web/src/. Each folder may use the ones beside it that it needs, never the other way round, so a
 * folder (src/hub, src/relay, src/codec/mp4…) can be read, tested and changed without the ones that use it.
 * At depth 1, src/hub is a unit and src/log.ts one of its own; at depth 2, src/codec/h264 and
 * src/codec/video.ts are units; and so on down to the files themselves.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The relative specifiers a file imports or re-exports, types included (`import type` is a dependency too). */
function imports(text: string): string[] {
  const found: string[] = [];
  const pattern = /\b(?:import|export)\s[^'"]*?\bfrom\s*['"](\.[^'"]+)['"]|\bimport\s*\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(pattern)) found.push((m[1] ?? m[2])!);
  return found;
}

/** file → the files it imports, all relative to `root`, with `.js` specifiers mapped to their `.ts` files. */
function fileGraph(root: string): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sources(root)) {
    const from = relative(root, file);
    const edges = new Set<string>();
    graph.set(from, edges);
    for (const specifier of imports(readFileSync(file, 'utf8'))) {
      const target = relative(root, resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      if (!target.startsWith('..')) edges.add(target);
    }
  }
  return graph;
}

/** The unit a file belongs to at `depth`: its first `depth` path parts (a file above that depth is its own unit). */
function unitAt(file: string, depth: number): string {
  return file.split(/[\\/]/).slice(0, depth).join('/');
}

/** unit → unit it imports → one file that does, for the message. */
function unitGraph(files: Map<string, Set<string>>, depth: number): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const [file, targets] of files) {
    const from = unitAt(file, depth);
    const edges = graph.get(from) ?? new Map<string, string>();
    graph.set(from, edges);
    for (const target of targets) {
      const to = unitAt(target, depth);
      if (to !== from && !edges.has(to)) edges.set(to, file);
    }
  }
  return graph;
}

/** The strongly connected components with more than one unit (Tarjan): each holds at least one cycle. */
function cycles(graph: Map<string, Map<string, string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** Every cycle at every depth, each described with the imports that make it. */
function describedCycles(root: string): string[] {
  const files = fileGraph(root);
  const deepest = Math.max(...[...files.keys()].map((f) => f.split(/[\\/]/).length));
  const described = new Map<string, string>();
  for (let depth = 1; depth <= deepest; depth++) {
    const graph = unitGraph(files, depth);
    for (const units of cycles(graph)) {
      const edges = units.flatMap((from) =>
        units.filter((to) => graph.get(from)?.has(to)).map((to) => `${from} → ${to} (${graph.get(from)!.get(to)})`),
      );
      // A cycle between files shows again at every deeper depth: told once, at the first.
      const text = `${units.join(', ')}: ${edges.join('; ')}`;
      if (!described.has(text)) described.set(text, `depth ${depth}: ${text}`);
    }
  }
  return [...described.values()];
}

describe('structure of the code', () => {
  for (const tree of ['src', 'web/src']) {
    it(`has no import cycle between files or folders at any depth in ${tree}/`, () => {
      const root = join(ROOT, tree);
      assert.ok(sources(root).length > 20, `read the files of ${root}`);
      const found = describedCycles(root);
      assert.deepEqual(found, [], `imports that go round in ${tree}/:\n${found.join('\n')}`);
    });
  }

  it('keeps test/ a mirror of src/: each folder of tests is named for the folder of src/ it tests', () => {
    // Besides src/'s folders: support/ (shared helpers), web/ (web/src, in Chromium), package/ (the npm
    // tarball and the systemd unit).
    const outside = new Set(['support', 'web', 'package']);
    const folders = (root: string, prefix = ''): string[] =>
      readdirSync(join(root, prefix), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .flatMap((entry) => {
          const path = join(prefix, entry.name);
          return [path, ...folders(root, path)];
        });
    const unmatched = folders(join(ROOT, 'test')).filter(
      (folder) => !outside.has(folder.split(/[\\/]/)[0]!) && !folders(join(ROOT, 'src')).includes(folder),
    );
    assert.deepEqual(unmatched, [], `test folders with no src/ folder of that name: ${unmatched.join(', ')}`);
  });

  it('sees a cycle when there is one', () => {
    const graph = new Map([
      ['a', new Map([['b', 'a/x.ts']])],
      ['b', new Map([['c', 'b/y.ts']])],
      ['c', new Map([['a', 'c/z.ts']])],
      ['d', new Map([['a', 'd/w.ts']])],
    ]);
    assert.deepEqual(cycles(graph), [['a', 'b', 'c']]);
    assert.deepEqual(
      imports(`import type { A } from './a.js';\nexport { B } from "../b.js";\nawait import('./c.js');`),
      ['./a.js', '../b.js', './c.js'],
    );
  });

  it('looks at every depth: a cycle between two subfolders of one folder, and between two files', () => {
    assert.equal(unitAt('codec/h264/nal.ts', 1), 'codec');
    assert.equal(unitAt('codec/h264/nal.ts', 2), 'codec/h264');
    assert.equal(unitAt('codec/video.ts', 2), 'codec/video.ts');
    assert.equal(unitAt('log.ts', 3), 'log.ts');
    const files = new Map([
      ['codec/h264/a.ts', new Set(['codec/mp4/b.ts'])],
      ['codec/mp4/b.ts', new Set(['codec/h264/c.ts'])],
      ['codec/h264/c.ts', new Set<string>()],
    ]);
    assert.deepEqual(cycles(unitGraph(files, 1)), [], 'one folder at depth 1');
    assert.deepEqual(cycles(unitGraph(files, 2)), [['codec/h264', 'codec/mp4']], 'two folders at depth 2');
    assert.deepEqual(cycles(unitGraph(files, 3)), [], 'no file cycle');
  });
});
