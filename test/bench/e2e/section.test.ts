import { describe, expect, it } from 'vitest';
import { endToEndSection } from '../../../bench/e2e/section.js';
import { measurement, phase } from './measurement.js';

describe('endToEndSection', () => {
  it('judges its targets as checks, which its own table shows as the summary does', () => {
    // Act
    const section = endToEndSection(measurement(), true);

    // Assess
    expect(section.checks.map((check) => [check.what, check.value])).toEqual([
      ['End to end: highest sustained rate', 40_000],
      ['End to end: p99 produce → commit at 50 % load', 2_100],
      ["End to end: differences from the producers' ground truth", 0],
    ]);
    expect(section.markdown).toContain(
      '| End to end: highest sustained rate | 40,000 records/s | ≥ 50,000 records/s | **not met** |',
    );
    expect(section.markdown).toContain(
      '| End to end: p99 produce → commit at 50 % load | 2,100 ms | ≤ 2,250 ms (window + 250 ms) | met |',
    );
    expect(section.failures).toEqual([]);
    expect(section.panels.length).toBeGreaterThan(0);
  });

  it('counts a latency not measured as not met', () => {
    const m = measurement({ latency: [{ fraction: 0.5, phase: phase(20_000, { p99Ms: undefined }) }] });
    const p99 = endToEndSection(m, true).checks[1];
    expect(p99?.shown).toBe('– ms');
    expect(p99?.value).toBe(Number.POSITIVE_INFINITY);
  });
});
