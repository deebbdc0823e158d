import type { BatchAggregate } from '../domain/batch-aggregate.js';
import type { LimitBreachChange } from './limit-breach.js';
import type { OffsetGap } from './offset-gap.js';

/**
 * A position's financial result after a batch, as position_result shows it: decimal text, exact, null
 * where the figure is unknown (status says why).
 */
export interface PositionResult {
  readonly branch: string;
  readonly currency: string;
  readonly position: string;
  readonly averageRate: string | null;
  readonly realized: string | null;
  readonly unrealized: string | null;
  readonly total: string | null;
  readonly status: string;
}

/** What became of a batch handed to the store. */
export type ApplyOutcome =
  | {
      readonly status: 'applied';
      readonly batchId: number;
      readonly committedAt: Date;
      /** The financial result the batch realized, in the base currency: decimal text, exact. */
      readonly realizedInBase: string;
      /** The result of each position the batch moved, once it committed. */
      readonly positionResults: readonly PositionResult[];
      /** The bank's total result in the base currency; null while a position's is unknown. */
      readonly bankTotalInBase: string | null;
      /** Breaches the batch began or cleared. */
      readonly limitBreaches: readonly LimitBreachChange[];
      /** Breaches open once the batch committed. */
      readonly openBreaches: number;
      /** Gaps the batch was applied over (recorded in offset_gap): only when gaps are accepted. */
      readonly gaps: readonly OffsetGap[];
    }
  /** A partition's checkpoint is past the batch's first offset: nothing was written. */
  | { readonly status: 'conflict'; readonly checkpoints: ReadonlyMap<string, number> }
  /** A partition's checkpoint is below the batch's first offset and gaps are refused: nothing was written. */
  | { readonly status: 'gap'; readonly gaps: readonly OffsetGap[] }
  /**
   * The database refused the batch's data (SQLSTATE class 22, data exception, or 23, integrity
   * constraint violation): nothing was written, and a batch without the records that cause it may pass.
   */
  | { readonly status: 'refused'; readonly sqlstate: string; readonly message: string };

/** The database refused a batch's data. */
export type Refusal = Extract<ApplyOutcome, { readonly status: 'refused' }>;

/** The port the aggregator writes through; PostgresPositionStore is the adapter. */
export interface PositionStore {
  applyBatch(batch: BatchAggregate): Promise<ApplyOutcome>;
}
