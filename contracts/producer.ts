/**
 * The producer's contract, shared by the stack (the rule and the function's environment), the handler
 * and the local runtime and soak, which invoke it the way the rule does: its schedule and the amount
 * distributions it can draw.
 */

/** The rule fires the producer once a minute. */
export const PRODUCER_SCHEDULE_SECONDS = 60;

/** Each scheduled run sends for this long: below the schedule's minute, so that runs never overlap. */
export const PRODUCER_RUN_SECONDS = 55;

/** How the producer draws amounts (see TransactionGenerator): the tutorial's integers or a heavy tail. */
export type AmountDistribution = 'whole-units' | 'heavy-tail';
export const AMOUNT_DISTRIBUTIONS: readonly AmountDistribution[] = ['whole-units', 'heavy-tail'];
