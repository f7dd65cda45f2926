/**
 * "Did you mean": the known key of a config object nearest to a misspelt one. The keys come from
 * the zod schema itself, walked along the error's path, so a key added to the schema is known here.
 */
import type { z } from 'zod';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The object schemas a value at `path` may be checked against (through defaults, pipes, unions, arrays). */
function objectsAt(schema: z.ZodType, path: readonly PropertyKey[]): Def[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
      return objectsAt(def.innerType!, path);
    case 'pipe':
      return [...objectsAt(def.out!, path), ...objectsAt(def.in!, path)];
    case 'union':
      return (def.options ?? []).flatMap((option) => objectsAt(option, path));
    case 'array':
      return typeof path[0] === 'number' ? objectsAt(def.element!, path.slice(1)) : [];
    case 'object': {
      if (path.length === 0) return [def];
      const next = def.shape?.[String(path[0])];
      return next ? objectsAt(next, path.slice(1)) : [];
    }
    default:
      return [];
  }
}

/** Levenshtein distance (insertions, deletions, substitutions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[y.length]!;
}

/**
 * The known key at `path` nearest to `key`, when near enough to be a typo: at most a third of its
 * length in edits (at least 1, at most 3), or the same words in another order or case (`stallTimeout`).
 */
export function closestKey(schema: z.ZodType, path: readonly PropertyKey[], key: string): string | undefined {
  const known = new Set(objectsAt(schema, path).flatMap((def) => Object.keys(def.shape ?? {})));
  const squash = (k: string): string => k.toLowerCase().replace(/[-_\s]/g, '');
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = squash(candidate) === squash(key) ? 0 : editDistance(candidate, key);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.min(3, Math.max(1, Math.floor(key.length / 3)));
  return bestDistance <= allowed ? best : undefined;
}
