import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Integration, browser and fault tests start real clusters (redis-server, haproxy, nginx, node servers)
// on free loopback ports; on 2 cores they run one file at a time so timings stay honest.
export default defineConfig({
  resolve: {
    // The shared wire protocol, imported by name by the server, the page, the load tool and tests
    // (the same alias as tsconfig.json's `paths`, which esbuild reads for the bundles).
    alias: { '@livechat/protocol': fileURLToPath(new URL('./app/src/protocol/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default'],
  },
});
