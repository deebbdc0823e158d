import { describe, expect, it } from 'vitest';
import { FUNCTION_PROCESSES } from '../../../bench/e2e/aggregator-system.js';
import {
  formatShare,
  resultCostBracket,
  resultCostCheck,
  resultCostShare,
  resultCostTable,
} from '../../../bench/e2e/result-cost.js';
import { meets } from '../../../bench/report/stats.js';
import { measurement, phase } from './measurement.js';

const failed = { verdict: { sustained: false, limitedBy: 'consumer', reason: 'fell behind' } } as const;

/** Ours held `held` and failed `failedAt`, the consumer's parts and PostgreSQL at the given % of a core. */
function system(held: number, failedAt: number, cpu: Record<string, number>) {
  return measurement({
    cpuParts: ['ESM emulator', FUNCTION_PROCESSES],
    steps: [phase(held, { cpu }), phase(failedAt, failed)],
    sustainedRate: held,
  });
}

describe('resultCostShare', () => {
  it('is 1 − on/off, below zero when the result off did worse, and unknown without both rates', () => {
    expect(resultCostShare(90_000, 100_000)).toBeCloseTo(0.1, 12);
    expect(resultCostShare(100_000, 95_000)).toBeLessThan(0);
    expect(resultCostShare(undefined, 100_000)).toBeUndefined();
    expect(resultCostShare(90_000, undefined)).toBeUndefined();
  });
});

describe('resultCostCheck', () => {
  it('meets the target at a cost of 10 % and not above it', () => {
    const off = system(100_000, 105_000, {});
    expect(
      meets(resultCostCheck(system(90_000, 95_000, {}), off).value, { comparison: 'at most', bound: 0.1 }),
    ).toBe(true);
    const check = resultCostCheck(system(89_000, 93_000, {}), off);
    expect(check.shown).toBe('11.0 % (89,000 / 100,000 records/s)');
    expect(meets(check.value, check.target)).toBe(false);
  });

  it('counts a rate not measured as not met', () => {
    const none = measurement({ sustainedRate: undefined });
    const check = resultCostCheck(none, system(100_000, 105_000, {}));
    expect(check.shown).toBe('not measured');
    expect(meets(check.value, check.target)).toBe(false);
  });
});

describe('resultCostBracket', () => {
  it('spans the costs the two searches leave open, from held and failed steps', () => {
    // Prepare: on within 80,000–84,000, off within 84,000–88,000
    const bracket = resultCostBracket(system(80_000, 84_000, {}), system(84_000, 88_000, {}));

    // Assess
    expect(bracket?.low).toBeCloseTo(0, 12);
    expect(bracket?.high).toBeCloseTo(1 - 80_000 / 88_000, 12);
  });

  it('is unknown when a search never failed above its rate', () => {
    const allHeld = measurement({ steps: [phase(40_000)], sustainedRate: 40_000 });
    expect(resultCostBracket(allHeld, system(42_000, 44_000, {}))).toBeUndefined();
  });
});

describe('resultCostTable', () => {
  it('sets on beside off: rates, brackets and CPU per 1,000 records at the sustained step', () => {
    // Prepare: 10,000 records/s; 1 % of a core is 1 ms per 1,000 records
    const on = system(10_000, 11_000, { 'ESM emulator': 60, [FUNCTION_PROCESSES]: 20, PostgreSQL: 5 });
    const off = system(10_000, 11_000, { 'ESM emulator': 60, [FUNCTION_PROCESSES]: 15, PostgreSQL: 4 });

    // Act
    const rows = resultCostTable(on, off).split('\n');

    // Assess
    expect(rows[0]).toBe('|  | result on | result off | on vs off |');
    expect(rows.slice(2)).toEqual([
      '| highest sustained rate, records/s | 10,000 | 10,000 | 0.0 % |',
      '| the search: highest held – lowest failed above it, records/s | 10,000 – 11,000 | 10,000 – 11,000 |  |',
      '| consumer CPU per 1,000 records at the sustained step, ms | 80.00 | 75.00 | +6.7 % |',
      '| PostgreSQL, ms per 1,000 records | 5.00 | 4.00 | +25.0 % |',
      `| ${FUNCTION_PROCESSES}, ms per 1,000 records | 20.00 | 15.00 | +33.3 % |`,
    ]);
  });
});

describe('formatShare', () => {
  it('signs a negative share with a minus and shows one decimal', () => {
    expect([formatShare(-0.025), formatShare(0.03), formatShare(undefined)]).toEqual([
      '−2.5 %',
      '3.0 %',
      '–',
    ]);
  });
});
