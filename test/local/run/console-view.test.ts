import { describe, expect, it } from 'vitest';
import { formatLimitBreach } from '../../../local/run/console-view.js';

describe('formatLimitBreach', () => {
  it('marks a breach that began, with the side, position, signed limit and batch', () => {
    // Act
    const line = formatLimitBreach(
      {
        change: 'began',
        branch: 'SPB',
        currency: 'GBP',
        side: 'short',
        limit: '2000.00',
        position: '-2201.27',
      },
      28,
    );

    // Assess
    expect(line).toBe(
      '!! LIMIT BREACH began: SPB GBP short position -2201.27 past its limit -2000.00 (batch 28)',
    );
  });

  it('says when a breach cleared', () => {
    // Act
    const line = formatLimitBreach(
      {
        change: 'cleared',
        branch: 'Kazan',
        currency: 'USD',
        side: 'long',
        limit: '1500.00',
        position: '1410.00',
      },
      41,
    );

    // Assess
    expect(line).toBe(
      '-- limit breach cleared: Kazan USD long position 1410.00 back within 1500.00 (batch 41)',
    );
  });
});
