import { describe, expect, it } from 'vitest';
import {
  atLeast,
  atMost,
  formatMillions,
  formatNumber,
  formatSummary,
  meets,
  summarize,
} from '../../../bench/report/stats.js';

describe('summarize', () => {
  it('gives median, quartiles and range of unsorted samples', () => {
    // Prepare
    const samples = [5, 1, 4, 2, 3];

    // Act
    const summary = summarize(samples);

    // Assess
    expect(summary).toEqual({ runs: 5, median: 3, min: 1, max: 5, q1: 2, q3: 4 });
  });

  it('interpolates the median of an even number of samples', () => {
    // Act
    const summary = summarize([10, 40, 20, 30]);

    // Assess
    expect(summary.median).toBe(25);
    expect(summary.q1).toBe(17.5);
    expect(summary.q3).toBe(32.5);
  });

  it('refuses no samples and samples that are not finite', () => {
    // Act and assess
    expect(() => summarize([])).toThrow('no samples');
    expect(() => summarize([1, Number.NaN])).toThrow('finite');
    expect(() => summarize([1, Number.POSITIVE_INFINITY])).toThrow('finite');
  });
});

describe('targets', () => {
  it('holds a figure against a lower or an upper bound, bounds included', () => {
    // Act and assess
    expect(meets(3_000_000, atLeast(3_000_000))).toBe(true);
    expect(meets(2_999_999, atLeast(3_000_000))).toBe(false);
    expect(meets(1, atMost(1))).toBe(true);
    expect(meets(1.01, atMost(1))).toBe(false);
  });
});

describe('formatting', () => {
  it('writes numbers with separators, millions and a spread', () => {
    // Act and assess
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatNumber(2.5, 2)).toBe('2.50');
    expect(formatMillions(3_141_592)).toBe('3.14 M');
    expect(formatSummary(summarize([1, 2, 3]), (v) => formatNumber(v))).toBe('2 (1–3)');
    expect(formatSummary(summarize([7, 7]), (v) => formatNumber(v))).toBe('7');
  });
});
