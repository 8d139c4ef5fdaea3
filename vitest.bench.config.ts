import { defineConfig } from 'vitest/config';

// `npm run bench:components`: the vitest bench files of bench/ (tinybench), apart from the tests.
export default defineConfig({ test: { benchmark: { include: ['bench/**/*.bench.ts'] } } });
