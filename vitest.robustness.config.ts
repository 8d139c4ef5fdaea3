import { defineConfig } from 'vitest/config';

// `npm run test:robustness`: hostile input, races and faults against the running service.
export default defineConfig({
  test: {
    include: ['test/robustness/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // Races and fault injection measure the service, not each other: one file at a time.
    fileParallelism: false,
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'var/vitest-robustness-report.json' }]] : ['default'],
  },
});
