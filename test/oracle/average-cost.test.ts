import { describe, expect, it } from 'vitest';
import { FLAT, foldDeal, foldDeals, type OracleDeal, prorate, unrealized } from './average-cost.js';

/** A deal of `amount` units for `base` in the base currency, both exact decimals. */
const deal = (amount: string, base?: string, tradeTime = 0): OracleDeal => ({
  amountCents: BigInt(amount.replace('.', '')) * (amount.includes('.') ? 1n : 100n),
  baseCents:
    base === undefined ? undefined : BigInt(base.replace('.', '')) * (base.includes('.') ? 1n : 100n),
  tradeTime,
});

describe('the average-cost oracle', () => {
  it("holds the issue's fixtures: 600.00 realized, 50 at 4,550.00, +100.00 at 93; the flip +250.00, short 70", () => {
    // Act
    const first = foldDeals([deal('100', '9000'), deal('100', '9200'), deal('-150', '14250')]);
    const flipped = foldDeals([deal('-120', '11520')], false, first);

    // Assess
    expect(first).toMatchObject({ position: 5_000n, cost: 455_000n, realized: 60_000n });
    expect(unrealized(first, '93')).toBe(10_000n);
    expect(flipped).toMatchObject({ position: -7_000n, cost: -672_000n, realized: 85_000n });
    expect(unrealized(flipped, '93')).toBe(21_000n);
    for (const state of [first, flipped]) expect(state.baseFlow).toBe(state.cost - state.realized);
  });

  it('takes the cost out residually: thirds of 100.00 realize exactly 20.00 and leave a flat position at 0.00', () => {
    // Act
    const state = foldDeals([deal('3.00', '100.00'), deal('-1', '40'), deal('-1', '40'), deal('-1', '40')]);

    // Assess
    expect(state).toMatchObject({ position: 0n, cost: 0n, realized: 2_000n });
  });

  it('buys a short back: sold 10 for 950.00, bought 10 for 900.00 realizes +50.00', () => {
    expect(foldDeals([deal('-10', '950'), deal('10', '900')])).toMatchObject({
      position: 0n,
      cost: 0n,
      realized: 5_000n,
    });
  });

  it('gives a base-currency position a result of 0 whatever its baseAmount', () => {
    const state = foldDeals([deal('100', '1'), deal('-30', undefined), deal('-70', '500')], true);
    expect(state).toMatchObject({ position: 0n, cost: 0n, realized: 0n, dealsWithoutBase: 0 });
  });

  it('counts a deal without baseAmount as unknown until the position is flat, then knows it again', () => {
    // Act
    const open = foldDeals([deal('10', '900'), deal('5'), deal('-3', '300')]);
    const flat = foldDeal(open, deal('-12', '1200', 42)).state;

    // Assess
    expect(open).toMatchObject({ position: 1_200n, dealsWithoutBase: 1, cost: 90_000n, realized: 0n });
    expect(flat).toEqual({ ...FLAT, resultSince: 42 });
  });

  it('rounds half away from zero', () => {
    expect([prorate(5n, 1n, 2n), prorate(-5n, 1n, 2n), prorate(4n, 1n, 3n), prorate(-5n, 1n, 3n)]).toEqual([
      3n,
      -3n,
      1n,
      -2n,
    ]);
  });
});
