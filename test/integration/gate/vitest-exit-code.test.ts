import { spawn } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../../local/support/child-process.js';

interface VitestRun {
  readonly code: number | null;
  readonly output: string;
}

/**
 * vitest run through the project's own configuration, in a process of its own, on fixtures of
 * test/gate/. The integration project's global setup starts its own PostgreSQL there (DATABASE_URL
 * is empty), as `npm test` does: the start that once swallowed vitest's exit code. The test broker is
 * passed in so that no second Kafka starts.
 */
async function runVitest(fixtures: { unit?: string; integration?: string }): Promise<VitestRun> {
  const files = [fixtures.unit, fixtures.integration].filter((file) => file !== undefined);
  const child = spawn(
    process.execPath,
    ['node_modules/vitest/vitest.mjs', 'run', '--reporter=dot', ...files],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        KAFKA_BROKERS: inject('kafkaBrokers'),
        DATABASE_URL: '',
        NO_COLOR: '1',
        FORCE_COLOR: '0',
        TREASURY_GATE_UNIT_FIXTURE: fixtures.unit ?? '',
        TREASURY_GATE_INTEGRATION_FIXTURE: fixtures.integration ?? '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  return { code, output };
}

describe('the CI gate: vitest exit code with the integration global setup', () => {
  it('is non-zero when an integration test fails', async () => {
    // Act
    const run = await runVitest({ integration: 'test/gate/fails.gate.ts' });

    // Assess
    expect(run.output).toMatch(/Tests\s+1 failed/);
    expect(run.code, run.output).toBe(1);
  });

  it('is non-zero when a unit test fails beside a passing integration test', async () => {
    // Act
    const run = await runVitest({ unit: 'test/gate/fails.gate.ts', integration: 'test/gate/passes.gate.ts' });

    // Assess
    expect(run.output).toMatch(/Tests\s+1 failed \| 1 passed/);
    expect(run.code, run.output).toBe(1);
  });

  it('is zero when the integration test passes', async () => {
    // Act
    const run = await runVitest({ integration: 'test/gate/passes.gate.ts' });

    // Assess
    expect(run.output).toMatch(/Tests\s+1 passed/);
    expect(run.code, run.output).toBe(0);
  });
});
