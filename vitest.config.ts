import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests get a world of their own, apart from one a person started with `npm run world -- up`.
process.env.CODER_PREFLIGHT_WORLD_DIR ??= join(import.meta.dirname, '.world', 'test');

// unit: pure tests (checks over fact fixtures, engine, renderers) — no servers.
// integration: collectors, probes and the world against real PostgreSQL / kube-apiserver.
// e2e: the built CLI as a subprocess against the world.
export default defineConfig({
  test: {
    // One test file at a time across all projects: integration and e2e files share one control
    // plane, and some change cluster-wide state for a moment (a default StorageClass, a broken
    // APIService that stalls namespace deletion). Unit tests take well under a second anyway.
    fileParallelism: false,
    maxWorkers: 1,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
