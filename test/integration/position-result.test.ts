import { describe, expect, it } from 'vitest';
import type { KafkaRecordSource } from '../../lambda/domain/kafka-record.js';
import { foldDeals, type OracleDeal } from '../oracle/average-cost.js';
import { useAggregatorOnTestDatabase } from './support/aggregator.js';
import { HANDLER_TOPIC, handlerEvent, resetHandlerTables } from './support/handler-events.js';

const fixture = useAggregatorOnTestDatabase();
const T = 1_764_000_000_000;

type Deal = { branch: string; currency: string; amount: number; baseAmount?: number };

/** Deals as records of one partition from `fromOffset`, each its own trade time. */
function records(deals: readonly (Deal | string)[], fromOffset = 0, partition = 0): KafkaRecordSource[] {
  return deals.map((deal, i) => ({
    topic: HANDLER_TOPIC,
    partition,
    offset: fromOffset + i,
    timestamp: T + fromOffset + i,
    value: Buffer.from(
      typeof deal === 'string' ? deal : JSON.stringify({ ...deal, eventTime: T + fromOffset + i }),
    ),
  }));
}

interface ResultRow {
  net_amount: string;
  cost_in_base: string;
  realized_in_base: string;
  base_flow: string;
  deals_without_base: string;
  result_since: Date | null;
}

async function resultOf(branch: string, currency: string): Promise<ResultRow | undefined> {
  const result = await fixture.database.pool.query<ResultRow>(
    `SELECT net_amount, cost_in_base, realized_in_base, base_flow, deals_without_base::text, result_since
     FROM currency_position WHERE branch_name = $1 AND currency_code = $2`,
    [branch, currency],
  );
  return result.rows[0];
}

/** A deal for the oracle: whole units and baseAmounts as BigInt cents and kopecks (these have no decimals). */
function oracleDeal(deal: Deal): OracleDeal {
  return {
    amountCents: BigInt(deal.amount) * 100n,
    baseCents: deal.baseAmount === undefined ? undefined : BigInt(deal.baseAmount) * 100n,
    tradeTime: T,
  };
}

/** Kopecks as the decimal text numeric(24, 2) prints. */
function decimalOf(kopecks: bigint): string {
  const sign = kopecks < 0n ? '-' : '';
  const magnitude = kopecks < 0n ? -kopecks : kopecks;
  return `${sign}${magnitude / 100n}.${String(magnitude % 100n).padStart(2, '0')}`;
}

const usd = (amount: number, baseAmount?: number): Deal =>
  baseAmount === undefined
    ? { branch: 'Kazan', currency: 'USD', amount }
    : { branch: 'Kazan', currency: 'USD', amount, baseAmount };

describe('the financial result folded in apply_batch, under the runtime', () => {
  it("holds the issue's fixtures: realized 600.00, 50 at 4,550.00; the flip +250.00 more, short 70 at -6,720.00", async () => {
    // Prepare
    await resetHandlerTables(fixture.database.pool);

    // Act: the first three deals in one batch, the flip in the next.
    const first = await fixture.aggregator.handler(
      handlerEvent(records([usd(100, 9_000), usd(100, 9_200), usd(-150, 14_250)])),
    );
    const afterFirst = await resultOf('Kazan', 'USD');
    const flip = await fixture.aggregator.handler(handlerEvent(records([usd(-120, 11_520)], 3)));

    // Assess
    expect(first.realizedInBase).toBe('600.00');
    // The position result line the CloudWatch table reads (the last: short 70 at 96), and the realized metric.
    const logged = fixture.aggregator.output.filter(
      (line) => line.kind === 'log' && JSON.stringify(line).includes('"position result"'),
    );
    expect(JSON.stringify(logged.at(-1))).toContain('"averageRate":"96.0000000000"');
    const emf = fixture.aggregator.output.filter(
      (line) => line.kind === 'metrics' && JSON.stringify(line).includes('RealizedResultInBase'),
    );
    expect(emf.length).toBeGreaterThan(0);
    expect(afterFirst).toMatchObject({
      net_amount: '50.00',
      cost_in_base: '4550.00',
      realized_in_base: '600.00',
    });
    expect(flip.realizedInBase).toBe('250.00');
    expect(await resultOf('Kazan', 'USD')).toMatchObject({
      net_amount: '-70.00',
      cost_in_base: '-6720.00',
      realized_in_base: '850.00',
      base_flow: '-7570.00',
      deals_without_base: '0',
    });
  });

  it('takes thirds of 100.00 out residually: 20.00 realized exactly, flat at 0.00', async () => {
    // Prepare
    await resetHandlerTables(fixture.database.pool);

    // Act: one deal a batch, so that the state stored between them is what the next one folds from.
    const deals = [usd(3, 100), usd(-1, 40), usd(-1, 40), usd(-1, 40)];
    for (const [i, deal] of deals.entries()) {
      await fixture.aggregator.handler(handlerEvent(records([deal], i)));
    }

    // Assess
    expect(await resultOf('Kazan', 'USD')).toMatchObject({
      net_amount: '0.00',
      cost_in_base: '0.00',
      realized_in_base: '20.00',
    });
  });

  it('gives a base-currency position a result of 0, and sets an invalid baseAmount aside with its reason', async () => {
    // Prepare
    await resetHandlerTables(fixture.database.pool);
    const rub = { branch: 'SPB', currency: 'RUB' };

    // Act
    const summary = await fixture.aggregator.handler(
      handlerEvent(
        records([
          { ...rub, amount: 1_000, baseAmount: 1 },
          { ...rub, amount: -400 },
          JSON.stringify({ ...rub, amount: 5, baseAmount: -5 }),
          { ...rub, amount: -600, baseAmount: 600 },
        ]),
      ),
    );

    // Assess
    expect(summary).toMatchObject({ applied: 3, rejected: 1, realizedInBase: '0.00' });
    expect(await resultOf('SPB', 'RUB')).toMatchObject({
      net_amount: '0.00',
      cost_in_base: '0.00',
      realized_in_base: '0.00',
      deals_without_base: '0',
    });
    const rejected = await fixture.database.pool.query<{ reason: string }>(
      'SELECT reason FROM rejected_transaction',
    );
    expect(rejected.rows).toEqual([{ reason: 'baseAmount -5 must be positive' }]);
  });

  it('counts deals without baseAmount, leaves the result unknown until the position is flat, then folds it again', async () => {
    // Prepare
    await resetHandlerTables(fixture.database.pool);

    // Act
    await fixture.aggregator.handler(handlerEvent(records([usd(10, 900), usd(5), usd(-3, 300)])));
    const unknown = await resultOf('Kazan', 'USD');
    await fixture.aggregator.handler(handlerEvent(records([usd(-12, 1_300), usd(2, 190), usd(-2, 200)], 3)));

    // Assess: known again from the deal that made it flat (offset 3), and 10.00 realized since.
    expect(unknown).toMatchObject({ net_amount: '12.00', deals_without_base: '1', cost_in_base: '900.00' });
    expect(await resultOf('Kazan', 'USD')).toMatchObject({
      net_amount: '0.00',
      cost_in_base: '0.00',
      realized_in_base: '10.00',
      deals_without_base: '0',
      result_since: new Date(T + 3),
    });
  });

  it('is exact at the bounds: products beyond a bigint of kopecks, and a position whose cost is beyond one', async () => {
    // Prepare: 10^12 units at 10,000 is 10^16 a deal, 10^18 kopecks; ten of them no bigint holds.
    await resetHandlerTables(fixture.database.pool);
    const spb = (amount: number, baseAmount: number): Deal => ({
      branch: 'SPB',
      currency: 'USD',
      amount,
      baseAmount,
    });
    const big = Array.from({ length: 10 }, () => usd(1e12, 1e16));

    // Act: SPB reduces and flips with C·x beyond a bigint; Kazan's cost passes 9.2·10^18 kopecks.
    const first = await fixture.aggregator.handler(
      handlerEvent(records([spb(1e12, 1e16), spb(-1e11, 9e14), spb(-1e12, 9.5e15)])),
    );
    const second = await fixture.aggregator.handler(handlerEvent(records([...big, usd(-1e12, 9e15)], 3)));

    // Assess: round(10^16 · 10^11 / 10^12) = 10^15 of cost out for 9·10^14; the flip's share of its
    // 9.5·10^15 is 9/10, 8.55·10^15, against the remaining 9·10^15 of cost.
    expect(first.realizedInBase).toBe('-550000000000000.00');
    expect(await resultOf('SPB', 'USD')).toMatchObject({
      net_amount: '-100000000000.00',
      cost_in_base: '-950000000000000.00',
      realized_in_base: '-550000000000000.00',
    });
    expect(second.realizedInBase).toBe('-1000000000000000.00');
    expect(await resultOf('Kazan', 'USD')).toMatchObject({
      net_amount: '9000000000000.00',
      cost_in_base: '90000000000000000.00',
      realized_in_base: '-1000000000000000.00',
      base_flow: '91000000000000000.00',
    });
    // And both equal the BigInt oracle's fold of the same deals.
    for (const [branch, deals] of [
      ['SPB', [spb(1e12, 1e16), spb(-1e11, 9e14), spb(-1e12, 9.5e15)]],
      ['Kazan', [...big, usd(-1e12, 9e15)]],
    ] as const) {
      const state = foldDeals(deals.map(oracleDeal));
      expect(await resultOf(branch, 'USD')).toMatchObject({
        net_amount: decimalOf(state.position),
        cost_in_base: decimalOf(state.cost),
        realized_in_base: decimalOf(state.realized),
        base_flow: decimalOf(state.baseFlow),
      });
    }
  });

  it('writes nothing twice when a batch is delivered again', async () => {
    // Prepare
    await resetHandlerTables(fixture.database.pool);
    const event = handlerEvent(records([usd(100, 9_000), usd(-50, 4_600)]));

    // Act
    await fixture.aggregator.handler(event);
    const again = await fixture.aggregator.handler(event);

    // Assess
    expect(again).toMatchObject({ skipped: 2, realizedInBase: null });
    expect(await resultOf('Kazan', 'USD')).toMatchObject({
      cost_in_base: '4500.00',
      realized_in_base: '100.00',
    });
  });

  it('dates each deal in the treasury time zone: a batch across Moscow midnight, and a late deal, land on their own days', async () => {
    // Prepare: T is 16:00 UTC, so Moscow (UTC+3) midnight is T + 5 h.
    await resetHandlerTables(fixture.database.pool);
    const midnight = T + 5 * 3_600_000;
    const at = (deal: Deal, offset: number, eventTime: number): KafkaRecordSource => ({
      topic: HANDLER_TOPIC,
      partition: 0,
      offset,
      timestamp: T + offset,
      value: Buffer.from(JSON.stringify({ ...deal, eventTime })),
    });

    // Act: one batch on both sides of midnight, then a deal of the first day arriving later.
    await fixture.aggregator.handler(
      handlerEvent([at(usd(100, 9_000), 0, midnight - 1), at(usd(-50, 4_600), 1, midnight)]),
    );
    await fixture.aggregator.handler(handlerEvent([at(usd(-10, 930), 2, midnight - 3_600_000)]));
    const days = await fixture.database.pool.query<{ day: string; deals: number; realized: string }>(
      `SELECT trade_date::text AS day, deal_count AS deals, realized_in_base::text AS realized
       FROM position_realized_daily WHERE branch_name = 'Kazan' AND currency_code = 'USD' ORDER BY trade_date`,
    );

    // Assess: 100 at 90.00; 50 sold for 4,600.00 (100.00) on the new day; 10 for 930.00 (30.00) on the old one.
    expect(days.rows).toEqual([
      { day: '2025-11-24', deals: 2, realized: '30.00' },
      { day: '2025-11-25', deals: 1, realized: '100.00' },
    ]);
    expect(await resultOf('Kazan', 'USD')).toMatchObject({
      cost_in_base: '3600.00',
      realized_in_base: '130.00',
    });
  });
});
