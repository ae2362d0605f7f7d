// Builds everything that runs: the server bundle, the native runner, the load tool and the page.
// esbuild bundles our TypeScript only (node_modules stay external for Node targets); `npm run typecheck`
// is the type gate. Usage: node scripts/build.mjs [--server-only] [--page-sourcemap]
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const serverOnly = process.argv.includes('--server-only');
const pageSourcemap = process.argv.includes('--page-sourcemap');

const nodeTargets = [
  ['app/src/main.ts', 'dist/server.js'],
  // Beside the server's bundle: forked by it (app/src/files/image-checker.ts).
  ['app/src/files/image-worker.ts', 'dist/image-worker.js'],
  ['scripts/cluster.ts', 'dist/cluster.js'],
  ['bench/loadtest.ts', 'dist/loadtest.js'],
  ['bench/bench.ts', 'dist/bench.js'],
].filter(([src]) => existsSync(join(root, src)) && (!serverOnly || src.startsWith('app/')));

await Promise.all(nodeTargets.map(([src, out]) => build({
  entryPoints: [join(root, src)],
  outfile: join(root, out),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
})));

if (!serverOnly && existsSync(join(root, 'chat-front/src/main.ts'))) {
  const out = join(root, 'chat-front/dist');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  if (existsSync(join(root, 'chat-front/public'))) cpSync(join(root, 'chat-front/public'), out, { recursive: true });
  await build({
    entryPoints: [join(root, 'chat-front/src/main.ts')],
    outfile: join(out, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2020',
    minify: true,
    // No source map for browsers: the page ships minified code only (no .map file, no
    // sourceMappingURL comment). --page-sourcemap writes app.js.map beside it for local debugging,
    // still without the comment; nginx and the embedded node never serve *.map anyway.
    sourcemap: pageSourcemap ? 'external' : false,
    logLevel: 'warning',
  });
}
console.log(`built ${nodeTargets.map(([, o]) => o).join(', ')}${serverOnly ? '' : ', chat-front/dist'}`);
