import type { MSKEvent } from 'aws-lambda';
import { aggregateMskEvent } from '../domain/aggregate.js';
import type { BatchAggregate, PositionDelta } from '../domain/batch-aggregate.js';
import type { ValidationRules } from '../domain/transaction.js';
import { isolateRefusedRecords } from './isolate-refused-records.js';
import type { LimitBreachChange } from './limit-breach.js';
import { type OffsetGap, OffsetGapError } from './offset-gap.js';
import type { PositionResult, PositionStore } from './position-store.js';

/** What the handler did with one event: returned to the caller (ignored by AWS, shown locally). */
export interface BatchReport {
  /** Records in the event. */
  readonly received: number;
  /** Valid deals added to the positions. */
  readonly applied: number;
  readonly rejected: number;
  /** Records at offsets an earlier delivery already applied. */
  readonly skipped: number;
  /** Undefined when every record had been applied before. */
  readonly batchId: number | undefined;
  readonly committedAt: Date | undefined;
  readonly deltas: readonly PositionDelta[];
  /** The financial result the batch realized in the base currency (decimal text); undefined when nothing was applied. */
  readonly realizedInBase: string | undefined;
  /** The result of the positions the batch moved, after it (the last part's when applied in parts). */
  readonly positionResults: readonly PositionResult[];
  /** The bank's total result after the batch; undefined when nothing was applied, null when unknown. */
  readonly bankTotalInBase: string | null | undefined;
  /** Limit breaches the batch began or cleared, in the order of its parts. */
  readonly limitBreaches: readonly LimitBreachChange[];
  /** Breaches open after the batch; undefined when nothing was applied. */
  readonly openBreaches: number | undefined;
  /** Gaps the batch was applied over (the store accepts gaps); a refused gap throws OffsetGapError. */
  readonly gaps: readonly OffsetGap[];
  /**
   * Round trips to apply_batch: 1 in steady state, 2 when a redelivery overlaps applied offsets, more
   * when the database refused records and the batch was applied in parts.
   */
  readonly attempts: number;
}

// A conflict means a checkpoint moved past our first offset; the second call uses the checkpoints the
// first returned. Another conflict then means another writer is applying the same partition at the
// same time, which the mapping never does: fail the batch so that it is retried.
const MAX_ATTEMPTS = 3;

/**
 * Decode, validate, aggregate and apply one MSK event, exactly once per offset. Throws OffsetGapError,
 * with nothing written, when a partition's batch starts past its checkpoint and the store refuses gaps.
 */
export async function processBatch(
  event: MSKEvent,
  store: PositionStore,
  rules?: ValidationRules,
): Promise<BatchReport> {
  let checkpoints: ReadonlyMap<string, number> = new Map();
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const batch: BatchAggregate = aggregateMskEvent(event, checkpoints, rules);
    const report = {
      received: batch.recordCount + batch.skippedCount,
      applied: batch.recordCount - batch.rejects.length,
      rejected: batch.rejects.length,
      skipped: batch.skippedCount,
      deltas: batch.deltas,
      attempts: attempt,
    };
    if (batch.ranges.length === 0) {
      return {
        ...report,
        batchId: undefined,
        committedAt: undefined,
        realizedInBase: undefined,
        positionResults: [],
        bankTotalInBase: undefined,
        limitBreaches: [],
        openBreaches: undefined,
        gaps: [],
      };
    }
    const outcome = await store.applyBatch(batch);
    if (outcome.status === 'gap') throw new OffsetGapError(outcome.gaps);
    if (outcome.status === 'applied') {
      return {
        ...report,
        batchId: outcome.batchId,
        committedAt: outcome.committedAt,
        realizedInBase: outcome.realizedInBase,
        positionResults: outcome.positionResults,
        bankTotalInBase: outcome.bankTotalInBase,
        limitBreaches: outcome.limitBreaches,
        openBreaches: outcome.openBreaches,
        gaps: outcome.gaps,
      };
    }
    if (outcome.status === 'refused') {
      // A record the database cannot take must not fail the batch on every retry: find it, set it aside.
      const parts = await isolateRefusedRecords(event, batch, checkpoints, outcome, store, rules);
      return {
        ...report,
        applied: parts.applied,
        rejected: parts.rejected,
        skipped: report.skipped + parts.skipped,
        deltas: parts.deltas,
        batchId: parts.batchId,
        committedAt: parts.committedAt,
        realizedInBase: parts.realizedInBase,
        positionResults: parts.positionResults,
        bankTotalInBase: parts.bankTotalInBase,
        limitBreaches: parts.limitBreaches,
        openBreaches: parts.openBreaches,
        gaps: parts.gaps,
        attempts: attempt + parts.roundTrips,
      };
    }
    checkpoints = outcome.checkpoints;
  }
  throw new Error(
    `batch not applied after ${MAX_ATTEMPTS} attempts: checkpoints kept moving, so another consumer is ` +
      'applying the same partitions at the same time',
  );
}
