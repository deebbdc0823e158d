import { describe, expect, it } from 'vitest';
import { quantile } from '../../../../local/verify/stats/quantile.js';

describe('quantile', () => {
  it('returns the extremes at 0 and 1 and refuses anything outside', () => {
    // Prepare
    const sorted = [1, 2, 3, 10];

    // Act and assess
    expect(quantile(sorted, 0)).toBe(1);
    expect(quantile(sorted, 1)).toBe(10);
    expect(quantile(sorted, 0.99)).toBeCloseTo(9.79, 10);
    expect(() => quantile(sorted, 1.5)).toThrow('outside');
  });
});
