/**
 * Limit breaches as apply_batch reports them (db/migrations/…_apply-batch-records-limit-breaches.sql),
 * and the names of the metrics the aggregator emits for them: the stack's alarm and dashboard and the
 * local runtime import these names from here.
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

/** Count of breaches that began in a batch; the stack alarms on it. */
export const LIMIT_BREACHES_BEGUN_METRIC = 'LimitBreachesBegun';
/** Count of breaches that cleared in a batch. */
export const LIMIT_BREACHES_CLEARED_METRIC = 'LimitBreachesCleared';
/** Breaches open after a batch committed (a gauge: read its Maximum). */
export const LIMIT_BREACHES_OPEN_METRIC = 'LimitBreachesOpen';

export function breachesThatBegan(changes: readonly LimitBreachChange[]): number {
  return changes.filter((change) => change.change === 'began').length;
}
