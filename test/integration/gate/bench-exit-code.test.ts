import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScript } from '../../../local/support/child-process.js';

describe('the CI gate: npm run bench exit code', () => {
  it('exits 1 on a wrong sum, in a run that starts its own PostgreSQL', async () => {
    // Prepare: section 1 checks the handler's sums against the naive ones, and its runtime part starts
    // an embedded PostgreSQL; BENCH_SIMULATE_WRONG_SUM moves one naive sum by a cent.
    const out = await mkdtemp(join(tmpdir(), 'bench-gate-'));
    try {
      // Act
      const run = await runScript('bench/run.ts', ['--quick', '--only', 'handler', '--out', out], {
        env: { BENCH_SIMULATE_WRONG_SUM: '1' },
        timeoutMs: 240_000,
      });

      // Assess
      expect(run.output).toMatch(/\[bench\] FAILED 1\. Handler alone: handler and naive sums differ/);
      expect(run.code, run.output).toBe(1);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
