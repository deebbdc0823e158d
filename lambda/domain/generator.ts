import {
  type AmountDistribution,
  DEALER_SPREAD,
  DEFAULT_REFERENCE_RATE,
  PRODUCER_BASE_CURRENCY,
  REFERENCE_RATES,
} from '../../contracts/producer.js';
import { MAX_EXACT_CENTS } from './money.js';
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
  /**
   * Reference rates per currency in the base currency: each deal's baseAmount is its amount at a rate
   * that walks randomly around the currency's reference, less (a buy) or plus (a sell) half the spread.
   * @default REFERENCE_RATES (contracts/producer.ts); DEFAULT_REFERENCE_RATE for any other currency
   */
  readonly referenceRates?: Readonly<Record<string, number>>;
  /** Deals in this currency have baseAmount = |amount|. @default PRODUCER_BASE_CURRENCY ('RUB') */
  readonly baseCurrency?: string;
}

// Per deal of a currency, the log of its mid rate moves by a normal step of this deviation and is pulled
// back towards the reference by this fraction: a walk of about ±1.5 % over a local run.
const RATE_STEP = 0.0006;
const RATE_PULL = 0.002;

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
  /** What the deal paid or received in the base currency: positive, whole kopecks. */
  readonly baseAmount: number;
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
  private readonly referenceRates: Readonly<Record<string, number>>;
  private readonly baseCurrency: string;
  /** log(mid / reference) per currency. */
  private readonly rateWalk = new Map<string, number>();
  // A stream of its own, so that the branches, currencies and amounts of a seed are what they were
  // before deals carried a baseAmount.
  private readonly rateRandom: () => number;
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
    this.referenceRates = options.referenceRates ?? REFERENCE_RATES;
    this.baseCurrency = options.baseCurrency ?? PRODUCER_BASE_CURRENCY;
    this.rateRandom = seededRandom((options.seed ?? 1) ^ 0x5eed_fa7e);
  }

  next(eventTime: number = Date.now()): GeneratedTransaction {
    const branch = this.pick(this.branches);
    const currency = this.pick(this.currencies);
    const amount = this.amounts === 'heavy-tail' ? this.heavyTailAmount() : this.wholeUnits();
    this.sequence++;
    const baseAmount = this.baseAmountOf(currency, amount);
    return {
      id: `${this.idPrefix}-${this.sequence.toString(36)}`,
      branch,
      currency,
      amount,
      baseAmount,
      eventTime,
    };
  }

  /** The current mid rate of a currency, after one more step of its walk. */
  private midRate(currency: string): number {
    const reference = this.referenceRates[currency] ?? DEFAULT_REFERENCE_RATE;
    // Box–Muller: a normal step from two uniforms.
    const normal =
      Math.sqrt(-2 * Math.log(1 - this.rateRandom())) * Math.cos(2 * Math.PI * this.rateRandom());
    const walk = (this.rateWalk.get(currency) ?? 0) * (1 - RATE_PULL) + normal * RATE_STEP;
    this.rateWalk.set(currency, walk);
    return reference * Math.exp(walk);
  }

  /**
   * Whole kopecks, at least one: the deal's rate times its amount rounded once. Kopecks below 10^15
   * divided by 100 print as their exact decimal (money.ts), so the value is exactly what is sent.
   */
  private baseAmountOf(currency: string, amount: number): number {
    const cents = Math.abs(Math.round(amount * 100));
    if (currency === this.baseCurrency) return Math.max(1, cents) / 100;
    const rate = this.midRate(currency) * (amount > 0 ? 1 - DEALER_SPREAD / 2 : 1 + DEALER_SPREAD / 2);
    const kopecks = Math.max(1, Math.round(cents * rate));
    if (kopecks <= MAX_EXACT_CENTS) return kopecks / 100;
    // A deal of a trillion units: its base amount rounded to 15 significant digits, the most a JSON
    // number carries exactly (transaction.ts), written from its digits so the double is that decimal.
    const digits = String(kopecks).length - 15;
    return Number(`${Math.round(kopecks / 10 ** digits)}e${digits - 2}`);
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
