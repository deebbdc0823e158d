import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BRANCHES,
  DEFAULT_CURRENCIES,
  type GeneratedTransaction,
  type GeneratorOptions,
  TransactionGenerator,
} from '../../../lambda/domain/generator.js';
import { toCents } from '../../../lambda/domain/money.js';
import { validateTransaction } from '../../../lambda/domain/transaction.js';

const EVENT_TIME = 1_732_441_850_987;

function generate(count: number, options?: GeneratorOptions): GeneratedTransaction[] {
  const generator = new TransactionGenerator(options);
  return Array.from({ length: count }, (_, i) => generator.next(EVENT_TIME + i));
}

describe('TransactionGenerator', () => {
  it('gives the same sequence for the same seed', () => {
    // Act
    const first = generate(1_000, { seed: 42 });
    const second = generate(1_000, { seed: 42 });

    // Assess
    expect(second).toEqual(first);
  });

  it('gives different sequences for different seeds', () => {
    // Act
    const first = generate(100, { seed: 1 });
    const second = generate(100, { seed: 2 });

    // Assess
    const deal = ({ branch, currency, amount }: GeneratedTransaction) => `${branch}|${currency}|${amount}`;
    expect(second.map(deal)).not.toEqual(first.map(deal));
  });

  it('uses seed 1 when none is given', () => {
    // Act
    const unseeded = generate(100);
    const seeded = generate(100, { seed: 1 });

    // Assess
    expect(unseeded).toEqual(seeded);
  });

  it("draws the tutorial's branches, currencies and integer amounts in [-100, 100] by default", () => {
    // Act
    const deals = generate(10_000);

    // Assess
    const amounts = deals.map((deal) => deal.amount);
    expect(new Set(deals.map((deal) => deal.branch))).toEqual(new Set(DEFAULT_BRANCHES));
    expect(new Set(deals.map((deal) => deal.currency))).toEqual(new Set(DEFAULT_CURRENCIES));
    expect(amounts.every(Number.isInteger)).toBe(true);
    expect(Math.min(...amounts)).toBe(-100);
    expect(Math.max(...amounts)).toBe(100);
  });

  it('draws every value of a configured range, both ends included, and nothing outside it', () => {
    // Prepare
    const options = { branches: ['Kazan', 'Ufa'], currencies: ['CNY'], minAmount: -2, maxAmount: 3, seed: 9 };

    // Act
    const deals = generate(2_000, options);

    // Assess
    expect(new Set(deals.map((deal) => deal.branch))).toEqual(new Set(['Kazan', 'Ufa']));
    expect(new Set(deals.map((deal) => deal.currency))).toEqual(new Set(['CNY']));
    expect(new Set(deals.map((deal) => deal.amount))).toEqual(new Set([-2, -1, 0, 1, 2, 3]));
  });

  it('draws a single amount when the range has one value', () => {
    // Act
    const deals = generate(50, { minAmount: 5, maxAmount: 5 });

    // Assess
    expect(new Set(deals.map((deal) => deal.amount))).toEqual(new Set([5]));
  });

  it('spreads deals over branches and currencies roughly evenly', () => {
    // Act
    const deals = generate(16_000, { seed: 3 });

    // Assess
    const counts = new Map<string, number>();
    for (const { branch, currency } of deals) {
      const key = `${branch}|${currency}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(16);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(800);
      expect(count).toBeLessThan(1_200);
    }
  });

  it('gives unique ids with the configured prefix', () => {
    // Act
    const deals = generate(20_000, { idPrefix: 'lambda-7f3c' });

    // Assess
    const ids = deals.map((deal) => deal.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id.startsWith('lambda-7f3c-'))).toBe(true);
  });

  it('keeps ids of two producers apart through their prefixes, even when they share a seed', () => {
    // Act
    const first = generate(1_000, { idPrefix: 'a', seed: 5 });
    const second = generate(1_000, { idPrefix: 'b', seed: 5 });

    // Assess
    const ids = new Set([...first, ...second].map((deal) => deal.id));
    expect(ids.size).toBe(2_000);
  });

  it('stamps each deal with the event time given, or the current time', () => {
    // Prepare
    const generator = new TransactionGenerator();
    const before = Date.now();

    // Act
    const given = generator.next(EVENT_TIME);
    const current = generator.next();

    // Assess
    const after = Date.now();
    expect(given.eventTime).toBe(EVENT_TIME);
    expect(current.eventTime).toBeGreaterThanOrEqual(before);
    expect(current.eventTime).toBeLessThanOrEqual(after);
  });

  it('prices each deal in the base currency: around the reference rate with the spread, at face value in RUB', () => {
    // Prepare
    const deals = generate(4_000, { seed: 3, minAmount: 1, maxAmount: 100 });

    // Act
    const rates = (currency: string) =>
      deals
        .filter((deal) => deal.currency === currency)
        .map((deal) => deal.baseAmount / Math.abs(deal.amount));

    // Assess: within a few per cent of the reference, and RUB exactly 1.
    for (const [currency, reference] of [
      ['USD', 92.5],
      ['EUR', 101.25],
      ['GBP', 118.4],
    ] as const) {
      const seen = rates(currency);
      expect(Math.min(...seen)).toBeGreaterThan(reference * 0.9);
      expect(Math.max(...seen)).toBeLessThan(reference * 1.1);
      expect(new Set(seen.map((rate) => rate.toFixed(2))).size).toBeGreaterThan(20);
    }
    expect(new Set(rates('RUB'))).toEqual(new Set([1]));
  });

  it('generates deals that pass validation once sent as JSON', () => {
    // Prepare
    const deals = generate(1_000, { seed: 17 });

    // Act
    const results = deals.map((deal) => validateTransaction(JSON.parse(JSON.stringify(deal))));

    // Assess
    expect(results.every((result) => result.ok)).toBe(true);
    expect(results[0]).toEqual({
      ok: true,
      value: {
        id: deals[0]?.id,
        branch: deals[0]?.branch,
        currency: deals[0]?.currency,
        amountCents: (deals[0]?.amount ?? Number.NaN) * 100,
        baseAmount: deals[0]?.baseAmount,
        eventTime: EVENT_TIME,
      },
    });
  });

  it('draws amounts with cents and a heavy tail behind the heavy-tail option, each one a valid deal', () => {
    // Act
    const deals = generate(20_000, { amounts: 'heavy-tail', seed: 4 });

    // Assess: two decimals at most, read back exactly, some with cents; most within the uniform
    // range, and some far beyond it (a tail), never beyond the cap of 1,000 × the range.
    const magnitudes = deals.map((deal) => Math.abs(deal.amount));
    const results = deals.map((deal) => validateTransaction(JSON.parse(JSON.stringify(deal))));
    expect(results.every((result) => result.ok)).toBe(true);
    expect(deals.every((deal) => toCents(deal.amount) === Math.round(deal.amount * 100))).toBe(true);
    expect(deals.filter((deal) => !Number.isInteger(deal.amount)).length).toBeGreaterThan(19_000);
    expect(magnitudes.filter((m) => m <= 100).length).toBeGreaterThan(10_000);
    expect(magnitudes.filter((m) => m > 1_000).length).toBeGreaterThan(100);
    expect(Math.max(...magnitudes)).toBeLessThanOrEqual(100_000);
  });

  it('keeps the same heavy-tail sequence for the same seed, and draws whole units by default', () => {
    // Act
    const first = generate(500, { amounts: 'heavy-tail', seed: 8 });
    const second = generate(500, { amounts: 'heavy-tail', seed: 8 });
    const whole = generate(500, { amounts: 'whole-units', seed: 8 });

    // Assess
    expect(second).toEqual(first);
    expect(whole).toEqual(generate(500, { seed: 8 }));
  });

  it.each([
    [{ branches: [] }, 'TransactionGenerator needs at least one branch and one currency'],
    [{ currencies: [] }, 'TransactionGenerator needs at least one branch and one currency'],
    [{ minAmount: 1.5 }, 'TransactionGenerator: amount range [1.5, 100] is not a range of integers'],
    [{ maxAmount: 99.99 }, 'TransactionGenerator: amount range [-100, 99.99] is not a range of integers'],
    [
      { minAmount: 10, maxAmount: 9 },
      'TransactionGenerator: amount range [10, 9] is not a range of integers',
    ],
    [{ minAmount: Number.NaN }, 'TransactionGenerator: amount range [NaN, 100] is not a range of integers'],
    [
      { maxAmount: Number.POSITIVE_INFINITY },
      'TransactionGenerator: amount range [-100, Infinity] is not a range of integers',
    ],
  ])('refuses the options %o', (options, message) => {
    // Act
    const create = () => new TransactionGenerator(options);

    // Assess
    expect(create).toThrow(new Error(message));
  });
});
