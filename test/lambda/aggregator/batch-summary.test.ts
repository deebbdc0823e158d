import { describe, expect, it } from 'vitest';
import { summarizeBatch } from '../../../lambda/aggregator/batch-summary.js';
import { CentsSum } from '../../../lambda/domain/money.js';

const BREACHES = [
  {
    change: 'began',
    branch: 'Kazan',
    currency: 'USD',
    side: 'short',
    limit: '1000.00',
    position: '-1234.50',
  },
] as const;

describe('summarizeBatch', () => {
  it('is plain data that survives the runtime JSON.stringify unchanged, sums as exact decimal strings', () => {
    const sum = new CentsSum();
    sum.add(-123_450);
    const counts = { received: 3, applied: 2, rejected: 1, skipped: 0, attempts: 1 };
    const summary = summarizeBatch({
      ...counts,
      batchId: 7,
      committedAt: new Date('2026-12-01T10:00:00.123Z'),
      deltas: [
        {
          branch: 'Kazan',
          currency: 'USD',
          sum,
          count: 2,
          amounts: [-100_000, -23_450],
          bases: [9_000, null],
          tradeTimes: [1, 2],
        },
      ],
      realizedInBase: '-12.34',
      positionResults: [],
      bankTotalInBase: null,
      limitBreaches: BREACHES,
      openBreaches: 3,
      gaps: [{ topic: 'transaction', partition: 1, checkpoint: 40, firstOffset: 52 }],
    });

    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
    expect(summary).toEqual({
      ...counts,
      batchId: 7,
      committedAt: '2026-12-01T10:00:00.123Z',
      positions: [{ branch: 'Kazan', currency: 'USD', sum: '-1234.50', count: 2 }],
      realizedInBase: '-12.34',
      limitBreaches: BREACHES,
      openBreaches: 3,
      gaps: [{ topic: 'transaction', partition: 1, checkpoint: 40, firstOffset: 52 }],
    });
  });

  it('answers null, not undefined, for a batch that applied nothing new', () => {
    const summary = summarizeBatch({
      received: 1,
      applied: 0,
      rejected: 0,
      skipped: 1,
      attempts: 1,
      batchId: undefined,
      committedAt: undefined,
      deltas: [],
      realizedInBase: undefined,
      positionResults: [],
      bankTotalInBase: undefined,
      limitBreaches: [],
      openBreaches: undefined,
      gaps: [],
    });

    expect(JSON.parse(JSON.stringify(summary))).toMatchObject({
      batchId: null,
      committedAt: null,
      realizedInBase: null,
      openBreaches: null,
    });
  });
});
