import type { LimitBreachChange } from './limit-breach.js';
import type { OffsetGap } from './offset-gap.js';
import type { BatchReport } from './process-batch.js';

/** One branch × currency of a batch: what its row in transaction_flow holds. */
export interface BatchPositionSummary {
  readonly branch: string;
  readonly currency: string;
  /** Decimal string with two places, e.g. "-1234.50": exact, unlike a JSON number. */
  readonly sum: string;
  readonly count: number;
}

/**
 * What the aggregator returns. Lambda's runtime serializes a handler's result with JSON.stringify,
 * and a result it cannot serialize (a bigint, a cycle) fails the invocation after the batch has
 * committed: the mapping then retries a batch that is done. So this is plain data only: numbers,
 * strings, null, arrays. The mapping ignores it; the local runtime prints it.
 */
export interface BatchSummary {
  readonly received: number;
  readonly applied: number;
  readonly rejected: number;
  readonly skipped: number;
  readonly attempts: number;
  /** applied_batch's id; null when every record had been applied before. */
  readonly batchId: number | null;
  /** ISO 8601 time of the commit; null with batchId. */
  readonly committedAt: string | null;
  readonly positions: readonly BatchPositionSummary[];
  /** The financial result the batch realized in the base currency, decimal text; null when nothing was applied. */
  readonly realizedInBase: string | null;
  /** Limit breaches the batch began or cleared (already plain data: amounts are decimal strings). */
  readonly limitBreaches: readonly LimitBreachChange[];
  /** Breaches open after the batch; null when nothing was applied. */
  readonly openBreaches: number | null;
  /** Gaps the batch was applied over (only when gaps are accepted), as plain data. */
  readonly gaps: readonly OffsetGap[];
}

export function summarizeBatch(report: BatchReport): BatchSummary {
  return {
    received: report.received,
    applied: report.applied,
    rejected: report.rejected,
    skipped: report.skipped,
    attempts: report.attempts,
    batchId: report.batchId ?? null,
    committedAt: report.committedAt?.toISOString() ?? null,
    positions: report.deltas.map((delta) => ({
      branch: delta.branch,
      currency: delta.currency,
      sum: delta.sum.toDecimal(),
      count: delta.count,
    })),
    realizedInBase: report.realizedInBase ?? null,
    limitBreaches: report.limitBreaches.map((breach) => ({ ...breach })),
    openBreaches: report.openBreaches ?? null,
    gaps: report.gaps.map((gap) => ({ ...gap })),
  };
}
