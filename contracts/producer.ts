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

/**
 * Reference rates of the generated currencies in the base currency (RUB): the producer's dealers quote
 * around rates that walk from these, and a local run's example fx_rate starts at them. A generated
 * currency without one quotes around DEFAULT_REFERENCE_RATE.
 */
export const REFERENCE_RATES: Readonly<Record<string, number>> = { USD: 92.5, EUR: 101.25, GBP: 118.4 };
export const DEFAULT_REFERENCE_RATE = 80;

/** The base currency the producer prices deals in (treasury_setting.base_currency's default). */
export const PRODUCER_BASE_CURRENCY = 'RUB';

/**
 * The dealers' spread, whole: they buy at the walking mid rate less half of it and sell at the mid plus
 * half, so the bank earns it on average while the walk makes single positions win or lose.
 */
export const DEALER_SPREAD = 0.004;
