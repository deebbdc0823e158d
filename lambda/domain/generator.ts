import type { AmountDistribution } from '../../contracts/producer.js';
/**
 * The tutorial's random deals, reproducible: the same seed gives the same sequence, so tests and
 * benchmarks can know their ground truth in advance.
 */

export interface GeneratorOptions {
  /** @default ['Kazan', 'SPB', 'Novosibirsk', 'Surgut'] (the tutorial's branches) */
  readonly branches?: readonly string[];
  /** @default ['RUB', 'USD', 'EUR', 'GBP'] */
  readonly currencies?: readonly string[];
  /** Smallest amount, a whole number of units. @default -100 */
  readonly minAmount?: number;
  /** Largest amount, a whole number of units. @default 100 */
  readonly maxAmount?: number;
  /** @default 1 */
  readonly seed?: number;
  /** Prefix of the ids, unique per producer so that ids are unique across producers. @default 'tx' */
  readonly idPrefix?: string;
  /**
   * 'whole-units': the tutorial's integers, uniform in [minAmount, maxAmount]. 'heavy-tail': amounts
   * with cents, uniform in that range times a Pareto factor, so that now and then a deal is hundreds
   * of times the usual one and positions reach their limits in a local run.
   * @default 'whole-units'
   */
  readonly amounts?: AmountDistribution;
}

// Shape 1.5: the factor's mean is 3 and its variance infinite, so a heavy tail with a tame typical
// deal; capped so that the largest deal stays a plausible one (1,000 × maxAmount).
const HEAVY_TAIL_SHAPE = 1.5;
const HEAVY_TAIL_MAX_FACTOR = 1_000;

/** A generated deal, as it goes on the wire (JSON). */
export interface GeneratedTransaction {
  readonly id: string;
  readonly branch: string;
  readonly currency: string;
  readonly amount: number;
  readonly eventTime: number;
}

export const DEFAULT_BRANCHES = ['Kazan', 'SPB', 'Novosibirsk', 'Surgut'] as const;
export const DEFAULT_CURRENCIES = ['RUB', 'USD', 'EUR', 'GBP'] as const;

/** mulberry32: tiny, fast and good enough for test data and fault schedules; not for anything secret. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class TransactionGenerator {
  private readonly random: () => number;
  private readonly branches: readonly string[];
  private readonly currencies: readonly string[];
  private readonly minAmount: number;
  private readonly span: number;
  private readonly idPrefix: string;
  private readonly amounts: AmountDistribution;
  private sequence = 0;

  constructor(options: GeneratorOptions = {}) {
    this.branches = options.branches ?? DEFAULT_BRANCHES;
    this.currencies = options.currencies ?? DEFAULT_CURRENCIES;
    this.minAmount = options.minAmount ?? -100;
    const maxAmount = options.maxAmount ?? 100;
    if (this.branches.length === 0 || this.currencies.length === 0) {
      throw new Error('TransactionGenerator needs at least one branch and one currency');
    }
    if (!Number.isInteger(this.minAmount) || !Number.isInteger(maxAmount) || maxAmount < this.minAmount) {
      throw new Error(
        `TransactionGenerator: amount range [${this.minAmount}, ${maxAmount}] is not a range of integers`,
      );
    }
    this.span = maxAmount - this.minAmount + 1;
    this.random = seededRandom(options.seed ?? 1);
    this.idPrefix = options.idPrefix ?? 'tx';
    this.amounts = options.amounts ?? 'whole-units';
  }

  next(eventTime: number = Date.now()): GeneratedTransaction {
    const branch = this.pick(this.branches);
    const currency = this.pick(this.currencies);
    const amount = this.amounts === 'heavy-tail' ? this.heavyTailAmount() : this.wholeUnits();
    this.sequence++;
    return { id: `${this.idPrefix}-${this.sequence.toString(36)}`, branch, currency, amount, eventTime };
  }

  private wholeUnits(): number {
    return this.minAmount + Math.floor(this.random() * this.span);
  }

  /** Integer cents, then divided by 100: the nearest double prints as the exact two-decimal amount. */
  private heavyTailAmount(): number {
    const cents = this.minAmount * 100 + Math.floor(this.random() * (this.span * 100 - 99));
    const factor = Math.min((1 - this.random()) ** (-1 / HEAVY_TAIL_SHAPE), HEAVY_TAIL_MAX_FACTOR);
    return Math.round(cents * factor) / 100;
  }

  private pick(values: readonly string[]): string {
    return values[Math.floor(this.random() * values.length)] as string;
  }
}
