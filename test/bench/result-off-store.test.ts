import { describe, expect, it } from 'vitest';
import { BENCH_EPOCH_MS, producerRecords } from '../../bench/producer-records.js';
import { ResultOffStore } from '../../bench/result-off-store.js';
import type { ApplyOutcome, PositionStore } from '../../lambda/aggregator/position-store.js';
import { aggregateBatch } from '../../lambda/domain/aggregate.js';
import type { BatchAggregate } from '../../lambda/domain/batch-aggregate.js';
import { TransactionGenerator } from '../../lambda/domain/generator.js';

describe('ResultOffStore', () => {
  it('hands the store the batch with every deal left out and the rest as it was, and returns its outcome', async () => {
    // Prepare
    const records = producerRecords(new TransactionGenerator({ seed: 1, idPrefix: 'off' }), {
      topic: 'transaction',
      partition: 0,
      firstOffset: 0,
      count: 50,
      timestampOf: (i) => BENCH_EPOCH_MS + i,
    });
    const batch = aggregateBatch('arn:test', records);
    const seen: BatchAggregate[] = [];
    const outcome: ApplyOutcome = { status: 'gap', gaps: [] };
    const inner: PositionStore = {
      applyBatch: async (b) => {
        seen.push(b);
        return outcome;
      },
    };

    // Act
    const answer = await new ResultOffStore(inner).applyBatch(batch);

    // Assess
    expect(answer).toBe(outcome);
    const [written] = seen;
    expect(written?.deltas.map((d) => [d.amounts, d.bases, d.tradeTimes])).toEqual(
      batch.deltas.map(() => [[], [], []]),
    );
    expect(written?.deltas.map((d) => [d.branch, d.currency, d.sum.toDecimal(), d.count])).toEqual(
      batch.deltas.map((d) => [d.branch, d.currency, d.sum.toDecimal(), d.count]),
    );
    expect({ ...written, deltas: [] }).toEqual({ ...batch, deltas: [] });
    expect(batch.deltas.some((d) => d.amounts.length > 0)).toBe(true);
  });
});
