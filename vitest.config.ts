import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'tracker/**/*.test.ts', 'dashboard/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: suites share one MariaDB and Redis, each with its own database or key prefix.
    pool: 'forks',
    maxWorkers: 3,
    reporters: ['default'],
  },
});
