import { defineConfig } from 'vitest/config';

// The CI gate's own test (test/integration/gate/vitest-exit-code.test.ts) adds a fixture of test/gate/
// to one project through these, to see vitest's exit code on a failing and a passing test.
const gateFixture = (project: 'UNIT' | 'INTEGRATION'): string[] => {
  const file = process.env[`TREASURY_GATE_${project}_FIXTURE`];
  return file ? [file] : [];
};

// Two projects: unit tests run in parallel on pure code and fakes; integration tests share one real
// Kafka broker and one real PostgreSQL (started once by the global setup) and run one file at a time,
// because the machine has two cores and the broker alone wants one of them.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts', ...gateFixture('UNIT')],
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
          include: ['test/integration/**/*.test.ts', ...gateFixture('INTEGRATION')],
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
