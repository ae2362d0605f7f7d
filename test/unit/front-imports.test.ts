// The page's modules import one another without a cycle (type-only imports count too: a cycle of
// types is still two files that cannot be read one before the other), and none is longer than a
// person reads in one sitting.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../chat-front/src');
const files = readdirSync(SRC).filter((f) => f.endsWith('.ts'));
const source = (f: string) => readFileSync(join(SRC, f), 'utf8');

/** The chat-front/src files `f` imports (or re-exports from). */
function importsOf(f: string): string[] {
  const out: string[] = [];
  for (const m of source(f).matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'\.\/([^']+)\.js'/g)) out.push(`${m[1]}.ts`);
  return out;
}

/** A cycle in the import graph as a path (first file repeated at the end), or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (f: string): string[] | null => {
    if (state.get(f) === 'done') return null;
    if (state.get(f) === 'open') return [...path.slice(path.indexOf(f)), f];
    state.set(f, 'open');
    path.push(f);
    for (const g of graph.get(f) ?? []) {
      const c = visit(g);
      if (c) return c;
    }
    path.pop();
    state.set(f, 'done');
    return null;
  };
  for (const f of graph.keys()) {
    const c = visit(f);
    if (c) return c;
  }
  return null;
}

describe('chat-front/src', () => {
  it('has no import cycle', () => {
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    for (const [f, deps] of graph) for (const d of deps) expect(files, `${f} imports ${d}`).toContain(d);
    expect(findCycle(graph)).toBeNull();
    // The checker itself finds one.
    expect(findCycle(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']]]))).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
  });

  it('keeps every file within about 300 lines', () => {
    const long = files.filter((f) => source(f).split('\n').length > 300);
    expect(long).toEqual([]);
  });
});
