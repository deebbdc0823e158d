/**
 * The producer's schedule, shared by the stack (the rule and the function's DURATION_SECONDS), the
 * handler's own default and the local runtime and soak, which invoke it the way the rule does.
 */

/** The rule fires the producer once a minute. */
export const PRODUCER_SCHEDULE_SECONDS = 60;

/** Each scheduled run sends for this long: below the schedule's minute, so that runs never overlap. */
export const PRODUCER_RUN_SECONDS = 55;
