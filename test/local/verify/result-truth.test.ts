import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../lambda/domain/generator.js';
import { diffResults, foldResult, type PositionResultTruth } from '../../../local/verify/result-truth.js';
import { FLAT, foldDeal, type ResultState } from '../../oracle/average-cost.js';

const empty = (): PositionResultTruth => ({
  position: 0n,
  cost: 0n,
  realized: 0n,
  baseFlow: 0n,
  dealsWithoutBase: 0,
});

describe("npm start's fold of the topic's deals", () => {
  it('agrees with the test oracle on random streams with flips, one-kopeck deals and deals without baseAmount', () => {
    // Prepare
    const random = seededRandom(42);
    const run = empty();
    let oracle: ResultState = FLAT;

    // Act
    for (let n = 0; n < 20_000; n++) {
      const q = BigInt((random() < 0.5 ? -1 : 1) * Math.floor(1 + random() * (random() < 0.2 ? 3 : 100_000)));
      const base = random() < 0.01 ? undefined : BigInt(Math.floor(1 + random() * 10_000_000));
      foldResult(run, q, base, false);
      oracle = foldDeal(oracle, { amountCents: q, baseCents: base, tradeTime: n }).state;
    }

    // Assess
    expect(run).toEqual({
      position: oracle.position,
      cost: oracle.cost,
      realized: oracle.realized,
      baseFlow: oracle.baseFlow,
      dealsWithoutBase: oracle.dealsWithoutBase,
    });
  });

  it('names each position whose result differs', () => {
    const topic = new Map([
      ['Kazan|USD', { ...empty(), position: 5_000n, cost: 455_000n, realized: 60_000n }],
    ]);
    const database = new Map([
      ['Kazan|USD', { ...empty(), position: 5_000n, cost: 455_000n, realized: 60_001n }],
    ]);

    expect(diffResults(topic, topic)).toEqual([]);
    expect(diffResults(topic, database)).toEqual([
      'Kazan|USD result: topic position 5000, cost 455000, realized 60000, base flow 0 (kopecks), 0 deals without ' +
        'baseAmount; database position 5000, cost 455000, realized 60001, base flow 0 (kopecks), 0 deals without baseAmount',
    ]);
  });
});
