import type { BatchAggregate } from '../domain/aggregate.js';

/** What became of a batch handed to the store. */
export type ApplyOutcome =
  | { readonly status: 'applied'; readonly batchId: number; readonly committedAt: Date }
  /** A partition's checkpoint is past the batch's first offset: nothing was written. */
  | { readonly status: 'conflict'; readonly checkpoints: ReadonlyMap<string, number> };

/** The port the aggregator writes through; PostgresPositionStore is the adapter. */
export interface PositionStore {
  applyBatch(batch: BatchAggregate): Promise<ApplyOutcome>;
}
