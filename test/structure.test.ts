/**
 * The code's shape: no cycle between the top-level folders of src/. Each folder may use the ones
 * below it, never the other way round, so a folder can be read, tested and changed without the
 * ones that use it. A top-level file (src/log.ts) counts as a folder of its own.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The relative specifiers a file imports or re-exports, types included (`import type` is a dependency too). */
function imports(text: string): string[] {
  const found: string[] = [];
  const pattern = /\b(?:import|export)\s[^'"]*?\bfrom\s*['"](\.[^'"]+)['"]|\bimport\s*\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(pattern)) found.push((m[1] ?? m[2])!);
  return found;
}

/** `cli` for src/cli/main.ts, `log.ts` for src/log.ts. */
function unitOf(path: string): string {
  return relative(SRC, path).split(/[\\/]/)[0]!;
}

/** unit → unit it imports → one file that does, for the message. */
function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sources(SRC)) {
    const from = unitOf(file);
    const edges = graph.get(from) ?? new Map<string, string>();
    graph.set(from, edges);
    for (const specifier of imports(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), specifier);
      if (relative(SRC, target).startsWith('..')) continue; // outside src/
      const to = unitOf(target);
      if (to !== from && !edges.has(to)) edges.set(to, relative(SRC, file));
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

describe('structure of src/', () => {
  it('has no import cycle between its top-level folders', () => {
    const graph = folderGraph();
    assert.ok(graph.size > 5, `read ${graph.size} folders of ${SRC}`);
    const described = cycles(graph).map((units) => {
      const edges = units.flatMap((from) =>
        units.filter((to) => graph.get(from)?.has(to)).map((to) => `${from} → ${to} (${graph.get(from)!.get(to)})`),
      );
      return `${units.join(', ')}: ${edges.join('; ')}`;
    });
    assert.deepEqual(described, [], `folders that import each other:\n${described.join('\n')}`);
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
});
