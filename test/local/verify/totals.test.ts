import { describe, expect, it } from 'vitest';
import type { ProducerSummary } from '../../../lambda/producer/handler.js';
import { diffTotals, producedTotals, type Totals } from '../../../local/verify/totals.js';

const totals = (entries: Record<string, [bigint, number]>): Totals =>
  new Map(Object.entries(entries).map(([key, [sum, count]]) => [key, { sum, count }]));

describe('diffTotals', () => {
  it('finds nothing when both sides agree to the cent and the count', () => {
    // Prepare
    const both = totals({ 'Kazan|USD': [12_345n, 3], 'SPB|EUR': [-1n, 1] });

    // Act and Assess
    expect(diffTotals(both, new Map(both), 'topic', 'currency_position')).toEqual([]);
  });

  it('names the cell, both sides and their sums and counts, sorted by cell', () => {
    // Prepare
    const expected = totals({ 'SPB|EUR': [100n, 1], 'Kazan|USD': [12_345n, 3] });
    const actual = totals({ 'SPB|EUR': [100n, 2], 'Kazan|USD': [12_344n, 3] });

    // Act
    const differences = diffTotals(expected, actual, 'topic', 'currency_position');

    // Assess
    expect(differences).toEqual([
      'Kazan|USD: topic 12345 cents in 3 deals, currency_position 12344 cents in 3 deals',
      'SPB|EUR: topic 100 cents in 1 deals, currency_position 100 cents in 2 deals',
    ]);
  });

  it('counts a cell missing on one side as zero there', () => {
    // Act
    const differences = diffTotals(totals({}), totals({ 'Kazan|GBP': [5n, 1] }), 'acknowledged', 'topic');

    // Assess
    expect(differences).toEqual(['Kazan|GBP: acknowledged 0 cents in 0 deals, topic 5 cents in 1 deals']);
  });
});

describe('producedTotals', () => {
  it('adds up the runs of the producer, exactly, from their decimal strings', () => {
    // Prepare
    const run = (totalsOfRun: ProducerSummary['totals']): ProducerSummary => ({
      sent: 0,
      elapsedMs: 0,
      partitions: {},
      totals: totalsOfRun,
    });

    // Act
    const sum = producedTotals([
      run({ 'Kazan|USD': { sum: '0.10', count: 1 } }),
      run({ 'Kazan|USD': { sum: '0.20', count: 1 }, 'SPB|EUR': { sum: '-999999999999.99', count: 2 } }),
    ]);

    // Assess
    expect(sum).toEqual(totals({ 'Kazan|USD': [30n, 2], 'SPB|EUR': [-99_999_999_999_999n, 2] }));
  });
});
