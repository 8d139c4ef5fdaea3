import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The robustness suite has its own command and configuration (vitest.robustness.config.ts).
    exclude: ['test/robustness/**', 'node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // argon2 hashing and MySQL round trips dominate; two cores run two files at a time.
    maxWorkers: 2,
    // CI also keeps a JSON report, from which .ci/run prints a plain 'N passed, N failed' line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'var/vitest-report.json' }]] : ['default'],
  },
});
