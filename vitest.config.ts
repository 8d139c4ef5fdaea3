import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The typed client as packed and unpacked by `npm run client:pack` (tsconfig.json maps its types alike).
  resolve: { alias: { '@fitness-app/account-client': resolve('var/client/node_modules/@fitness-app/account-client/dist/index.js') } },
  test: {
    include: ['test/**/*.test.ts'],
    // The robustness suite has its own command and configuration (vitest.robustness.config.ts).
    exclude: ['test/robustness/**', 'test/cluster/**', 'node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // argon2 hashing and MySQL round trips dominate; two cores run two files at a time.
    maxWorkers: 2,
    // CI also keeps a JSON report, from which .ci/run prints a plain 'N passed, N failed' line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'var/vitest-report.json' }]] : ['default'],
    // `npm test` runs with --coverage: the run fails below the floor.
    coverage: {
      provider: 'v8',
      include: ['src/**'],
      // Process entry points: tests start them as child processes (config, shutdown, contract,
      // kill -9), which in-process coverage cannot see.
      exclude: ['src/server.ts', 'src/db/migrate-cli.ts', 'src/admin/admin-cli.ts'],
      reporter: ['text-summary', ['json-summary', { file: 'coverage-summary.json' }]],
      reportsDirectory: 'var/coverage',
      thresholds: { lines: 90 },
    },
  },
});
