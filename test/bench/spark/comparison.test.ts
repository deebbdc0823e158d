import { describe, expect, it } from 'vitest';
import { compare, comparisonChecks, ratio, sideBySideMarkdown } from '../../../bench/spark/comparison.js';
import { measurement, phase } from '../e2e/measurement.js';

describe('compare', () => {
  it('says how many times lower or higher ours is', () => {
    expect(compare(1_000, 2_100, 'p99', 'lower', 'higher')).toBe('p99 2.1× lower');
    expect(compare(1_200, 1_000, 'p99', 'lower', 'higher')).toBe('p99 1.2× higher');
    expect(compare(undefined, 1_000, 'p99', 'lower', 'higher')).toBe('–');
  });

  it('has no ratio against nothing', () => {
    expect(ratio(10, 0)).toBeUndefined();
    expect(ratio(30, 10)).toBe(3);
  });
});

describe('comparisonChecks', () => {
  it('holds ours to three times Spark’s rate at an equal or better p99 at every load', () => {
    // Prepare
    const ours = measurement();
    const spark = measurement({
      system: 'Spark',
      sustainedRate: 10_000,
      latency: [0.1, 0.5, 0.8].map((fraction) => ({
        fraction,
        phase: phase(10_000 * fraction, { p99Ms: 3_000 }),
      })),
    });

    // Act
    const checks = comparisonChecks(ours, spark);

    // Assess
    expect(checks.map((check) => [check.value, check.shown])).toEqual([
      [4, '4.0×'],
      [1, 'yes'],
    ]);
    const markdown = sideBySideMarkdown(ours, spark, checks, true, 'Java 17');
    expect(markdown).toContain("| Spark peer: our sustained rate ÷ Spark's | 4.0× | ≥ 1.5× | met |");
    expect(markdown).not.toMatch(/engineer|shared cores/);
  });
});
