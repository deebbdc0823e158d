import { describe, expect, it } from 'vitest';
import { DealPool } from '../../../bench/e2e/load/deal-pool.js';
import type { Totals } from '../../../local/verify/totals.js';

describe('DealPool', () => {
  it('holds the first n deals of its cycle as ground truth, however the runs divide them', () => {
    // Prepare
    const pool = new DealPool(7, 1_000, 'bench-0', 1_764_000_000_000);
    const oneRun: Totals = new Map();
    const threeRuns: Totals = new Map();
    const byHand: Totals = new Map();

    // Act: 17 deals, more than two cycles
    pool.addTo(oneRun, 0, 17);
    pool.addTo(threeRuns, 0, 5);
    pool.addTo(threeRuns, 5, 9);
    pool.addTo(threeRuns, 14, 3);
    for (let i = 0; i < 17; i++) {
      const [key, value] = (pool.lines[i % 7] as string).split('\t') as [string, string];
      const deal = JSON.parse(value) as { amount: number };
      const entry = byHand.get(key) ?? { sum: 0n, count: 0 };
      entry.sum += BigInt(Math.round(deal.amount * 100));
      entry.count++;
      byHand.set(key, entry);
    }

    // Assess
    expect(threeRuns).toEqual(oneRun);
    expect(oneRun).toEqual(byHand);
    expect([...oneRun.values()].reduce((n, e) => n + e.count, 0)).toBe(17);
  });
});
