/**
 * The financial result turned off, the baseline of its cost (issue 20): each batch with its deal arrays
 * left empty, so that apply_batch folds nothing and writes what it wrote before issue 20 (positions,
 * flows, checkpoints, limits). The write path times apply_batch with and without the deals
 * (write-path/result-fold.ts); the end-to-end section runs the whole pipeline over this store
 * (e2e/result-off-handler.ts). One definition, so that both baselines leave out the same thing.
 */
import type { ApplyOutcome, PositionStore } from '../lambda/aggregator/position-store.js';
import type { BatchAggregate } from '../lambda/domain/batch-aggregate.js';

/** The batch without its deals: the cells' sums and counts only, so that the fold has nothing to do. */
export function withoutDeals(batch: BatchAggregate): BatchAggregate {
  return {
    ...batch,
    deltas: batch.deltas.map((delta) => ({ ...delta, amounts: [], bases: [], tradeTimes: [] })),
  };
}

/** A store that writes every batch through `store` without its deals. */
export class ResultOffStore implements PositionStore {
  constructor(private readonly store: PositionStore) {}

  applyBatch(batch: BatchAggregate): Promise<ApplyOutcome> {
    return this.store.applyBatch(withoutDeals(batch));
  }
}
