import { defineConfig } from 'vitest/config';

// `npm run test:cluster`: the service on a Galera cluster of the test's own (docs/scaling.md).
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'var/vitest-cluster-report.json' }]] : ['default'],
  },
});
