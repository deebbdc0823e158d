/**
 * Limit breaches as apply_batch reports them (db/migrations/…_apply-batch-records-limit-breaches.sql),
 * (the names of the metrics the aggregator emits for them are in contracts/telemetry/metrics.ts).
 */

/** A position that went past one of its limits (began) or came back within it (cleared) in a batch. */
export interface LimitBreachChange {
  readonly change: 'began' | 'cleared';
  readonly branch: string;
  readonly currency: string;
  readonly side: 'long' | 'short';
  /** The limit in force when the breach began, a positive decimal string with two places. */
  readonly limit: string;
  /** The position after the batch, a decimal string with two places: exact, unlike a JSON number. */
  readonly position: string;
}

export function breachesThatBegan(changes: readonly LimitBreachChange[]): number {
  return changes.filter((change) => change.change === 'began').length;
}
