import { describe, expect, it } from 'vitest';
import { endToEndSection } from '../../../bench/e2e/section.js';
import { measurement, phase } from './measurement.js';

/** The result off: held 42,000 records/s, failed 46,000. */
function resultOff() {
  return measurement({
    system: 'treasury-stream, result off',
    steps: [
      phase(42_000),
      phase(46_000, { verdict: { sustained: false, limitedBy: 'consumer', reason: 'fell behind' } }),
    ],
    sustainedRate: 42_000,
    latency: [],
  });
}

describe('endToEndSection', () => {
  it('judges its targets as checks, which its own table shows as the summary does', () => {
    // Act
    const section = endToEndSection({ ours: measurement(), resultOff: resultOff() }, true);

    // Assess
    expect(section.checks.map((check) => [check.what, check.value])).toEqual([
      ['End to end: highest sustained rate', 40_000],
      ['End to end: p99 produce → commit at 50 % load', 2_100],
      ["End to end: differences from the producers' ground truth", 0],
      ["End to end: the financial result's cost, 1 − on/off of the sustained rate", 1 - 40_000 / 42_000],
    ]);
    expect(section.markdown).toContain(
      '| End to end: highest sustained rate | 40,000 records/s | ≥ 50,000 records/s | **not met** |',
    );
    expect(section.markdown).toContain(
      '| End to end: p99 produce → commit at 50 % load | 2,100 ms | ≤ 2,250 ms (window + 250 ms) | met |',
    );
    expect(section.markdown).toContain(
      "| End to end: the financial result's cost, 1 − on/off of the sustained rate | 4.8 % (40,000 / 42,000 records/s) | ≤ 10 % of the sustained rate | met |",
    );
    expect(section.figures['e2e.resultOff.sustainedRecordsPerSecond']).toBe(42_000);
    expect(section.figures['e2e.resultCostPercent']).toBe(4.8);
    expect(section.failures).toEqual([]);
    expect(section.panels.length).toBeGreaterThan(0);
  });

  it('counts a latency not measured as not met', () => {
    const m = measurement({ latency: [{ fraction: 0.5, phase: phase(20_000, { p99Ms: undefined }) }] });
    const p99 = endToEndSection({ ours: m, resultOff: resultOff() }, true).checks[1];
    expect(p99?.shown).toBe('– ms');
    expect(p99?.value).toBe(Number.POSITIVE_INFINITY);
  });

  it('fails the run on a wrong sum with the result off too', () => {
    const off = { ...resultOff(), exactness: ['TEST/USD: 1.00 vs 1.01'] };
    const section = endToEndSection({ ours: measurement(), resultOff: off }, true);
    expect(section.failures).toEqual([
      "with the result off, differs from the producers' ground truth: TEST/USD: 1.00 vs 1.01",
    ]);
  });
});
