#!/usr/bin/env node
// `npm run check:structure`: fails on an import cycle anywhere in the project's TypeScript (app, page,
// scripts, bench, tests), and on a file in app/src or chat-front/src longer than MAX_LINES: the two
// rules that keep the code's layers readable (docs/architecture in README.md). Type-only imports
// count: a cycle of types is still two files that cannot be read one after the other.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const ROOTS = ['app/src', 'chat-front/src', 'scripts', 'bench', 'test'];
const SIZE_CHECKED = ['app/src', 'chat-front/src'];
const MAX_LINES = 300;
const ALIASES = { '@livechat/protocol': 'app/src/protocol/index.ts' };

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) yield p;
  }
}

const files = ROOTS.flatMap((r) => [...walk(join(root, r))]);
const known = new Set(files);
const edges = new Map();
const problems = [];

function resolveSpec(from, spec) {
  if (ALIASES[spec]) return join(root, ALIASES[spec]);
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec);
  for (const c of [base.replace(/\.m?js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (known.has(c)) return c;
  }
  return null;
}

for (const f of files) {
  const text = readFileSync(f, 'utf8');
  const info = ts.preProcessFile(text, true, true);
  edges.set(f, [...new Set(info.importedFiles.map((i) => resolveSpec(f, i.fileName)).filter(Boolean))]);
  const rel = relative(root, f);
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (SIZE_CHECKED.some((d) => rel.startsWith(`${d}/`)) && lines > MAX_LINES) {
    problems.push(`${rel}: ${lines} lines (at most ${MAX_LINES}: split it by concern)`);
  }
}

// Tarjan's strongly connected components: every component of more than one file is a cycle.
let index = 0;
const idx = new Map(), low = new Map(), onStack = new Set(), stack = [];
function strong(v) {
  idx.set(v, index); low.set(v, index); index++;
  stack.push(v); onStack.add(v);
  for (const w of edges.get(v) ?? []) {
    if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== v);
    const selfLoop = (edges.get(v) ?? []).includes(v);
    if (comp.length > 1 || selfLoop) problems.push(`import cycle: ${comp.map((c) => relative(root, c)).sort().join(' <-> ')}`);
  }
}
for (const f of files) if (!idx.has(f)) strong(f);

if (problems.length > 0) {
  for (const p of problems) console.error(`check:structure: ${p}`);
  process.exit(1);
}
console.log(`check:structure: ok (${files.length} files, no import cycle, none in ${SIZE_CHECKED.join(' or ')} over ${MAX_LINES} lines)`);
