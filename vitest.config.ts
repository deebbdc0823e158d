import { defineConfig } from 'vitest/config';

// Two projects: unit tests run in parallel on pure code and fakes; integration tests share one real
// Kafka broker and one real PostgreSQL (started once by the global setup) and run one file at a time,
// because the machine has two cores and the broker alone wants one of them.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**', 'node_modules/**'],
          testTimeout: 60_000,
          // The stack tests synthesize in beforeAll: seconds alone, more than the default 10 s when
          // the two cores are shared.
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
