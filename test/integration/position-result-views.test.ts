import { describe, expect, it } from 'vitest';
import type { KafkaRecordSource } from '../../lambda/domain/kafka-record.js';
import { useAggregatorOnTestDatabase } from './support/aggregator.js';
import { HANDLER_TOPIC, handlerEvent, resetHandlerTables } from './support/handler-events.js';

const fixture = useAggregatorOnTestDatabase();
// 2025-11-24 19:00 in Moscow; a day later is the next trade date.
const DAY_1 = Date.parse('2025-11-24T16:00:00Z');
const DAY_2 = DAY_1 + 86_400_000;

type Deal = { branch: string; currency: string; amount: number; baseAmount?: number; eventTime: number };

function records(deals: readonly Deal[], partition = 0): KafkaRecordSource[] {
  return deals.map((deal, offset) => ({
    topic: HANDLER_TOPIC,
    partition,
    offset,
    timestamp: deal.eventTime,
    value: Buffer.from(JSON.stringify(deal)),
  }));
}

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await fixture.database.pool.query(sql)).rows;
}

async function prepare(): Promise<void> {
  await resetHandlerTables(fixture.database.pool);
  await fixture.database.pool.query('DELETE FROM fx_rate');
  await fixture.database.pool.query(
    `INSERT INTO fx_rate (currency_code, rate, as_of) VALUES
       ('USD', 91, '2025-11-24 00:00+03'), ('USD', 93, '2025-11-25 00:00+03')`,
  );
  const usd = (amount: number, baseAmount: number, eventTime: number): Deal => ({
    branch: 'Kazan',
    currency: 'USD',
    amount,
    baseAmount,
    eventTime,
  });
  await fixture.aggregator.handler(
    handlerEvent([
      // The design memo's scenario B: both buys on day 1 at an official 91, the sale on day 2 at 93.
      ...records([usd(100, 9_000, DAY_1), usd(100, 9_200, DAY_1 + 1), usd(-150, 14_250, DAY_2)]),
      // EUR has no rate; SPB's USD has a deal without baseAmount.
      ...records(
        [
          { branch: 'SPB', currency: 'EUR', amount: 10, baseAmount: 1_000, eventTime: DAY_2 },
          { branch: 'SPB', currency: 'USD', amount: 5, eventTime: DAY_2 },
        ],
        1,
      ),
    ]),
  );
}

describe('the financial result views', () => {
  it('position_result: 50 at 4,550.00 (average 91), 600.00 realized, +100.00 at 93; NULL with a status when unknown', async () => {
    // Prepare
    await prepare();

    // Act
    const positions = await rows(
      `SELECT branch_name, currency_code, net_amount, cost_in_base, average_rate, realized_in_base, valuation_rate,
              unrealized_in_base, total_in_base, status
       FROM position_result ORDER BY branch_name, currency_code`,
    );

    // Assess
    expect(positions).toEqual([
      {
        branch_name: 'Kazan',
        currency_code: 'USD',
        net_amount: '50.00',
        cost_in_base: '4550.00',
        average_rate: '91.0000000000',
        realized_in_base: '600.00',
        valuation_rate: '93.0000000000',
        unrealized_in_base: '100.00',
        total_in_base: '700.00',
        status: 'ok',
      },
      {
        branch_name: 'SPB',
        currency_code: 'EUR',
        net_amount: '10.00',
        cost_in_base: '1000.00',
        average_rate: '100.0000000000',
        realized_in_base: '0.00',
        valuation_rate: null,
        unrealized_in_base: null,
        total_in_base: null,
        status: 'missing rate',
      },
      {
        branch_name: 'SPB',
        currency_code: 'USD',
        net_amount: '5.00',
        cost_in_base: null,
        average_rate: null,
        realized_in_base: null,
        valuation_rate: '93.0000000000',
        unrealized_in_base: null,
        total_in_base: null,
        status: 'deals without baseAmount: 1',
      },
    ]);
  });

  it('totals per currency and for the bank: NULL with the positions named while one is unknown, the sums once known', async () => {
    // Prepare
    await prepare();

    // Act
    const unknown = await rows('SELECT realized_in_base, total_in_base, status FROM bank_result');
    await fixture.database.pool.query(
      "DELETE FROM currency_position WHERE branch_name = 'SPB'; INSERT INTO fx_rate VALUES ('EUR', 101, '2025-11-25 00:00+03')",
    );
    const currencies = await rows(
      'SELECT currency_code, realized_in_base, unrealized_in_base, total_in_base, status FROM currency_result',
    );
    const bank = await rows(
      'SELECT realized_in_base, unrealized_in_base, total_in_base, status FROM bank_result',
    );

    // Assess
    expect(unknown).toEqual([
      {
        realized_in_base: null,
        total_in_base: null,
        status: 'EUR SPB: missing rate; USD SPB: deals without baseAmount: 1',
      },
    ]);
    expect(currencies).toEqual([
      {
        currency_code: 'USD',
        realized_in_base: '600.00',
        unrealized_in_base: '100.00',
        total_in_base: '700.00',
        status: 'ok',
      },
    ]);
    expect(bank).toEqual([
      { realized_in_base: '600.00', unrealized_in_base: '100.00', total_in_base: '700.00', status: 'ok' },
    ]);
  });

  it('per day, realized by trade date and the accounting split add up to the same total, to the kopeck', async () => {
    // Prepare
    await prepare();

    // Act
    const realized = await rows(
      "SELECT trade_date::text, realized_in_base, status FROM position_realized_daily WHERE branch_name = 'Kazan' ORDER BY 1",
    );
    const accounting = await rows(
      `SELECT trade_date::text, official_rate, deal_result, revaluation, accounting_total, realized_in_base,
              unrealized_change, management_total, check_difference, status
       FROM position_result_accounting_daily WHERE branch_name = 'Kazan' ORDER BY 1`,
    );
    const bank = await rows(
      'SELECT trade_date::text, realized_in_base, status FROM bank_realized_daily ORDER BY 1',
    );

    // Assess
    expect(realized).toEqual([
      { trade_date: '2025-11-24', realized_in_base: '0.00', status: 'ok' },
      { trade_date: '2025-11-25', realized_in_base: '600.00', status: 'ok' },
    ]);
    expect(accounting).toEqual([
      {
        trade_date: '2025-11-24',
        official_rate: '91.0000000000',
        deal_result: '0.00',
        revaluation: '0.00',
        accounting_total: '0.00',
        realized_in_base: '0.00',
        unrealized_change: '0.00',
        management_total: '0.00',
        check_difference: '0.00',
        status: 'ok',
      },
      {
        trade_date: '2025-11-25',
        official_rate: '93.0000000000',
        deal_result: '300.00',
        revaluation: '400.00',
        accounting_total: '700.00',
        realized_in_base: '600.00',
        unrealized_change: '100.00',
        management_total: '700.00',
        check_difference: '0.00',
        status: 'ok',
      },
    ]);
    expect(bank).toEqual([
      { trade_date: '2025-11-24', realized_in_base: '0.00', status: 'ok' },
      {
        trade_date: '2025-11-25',
        realized_in_base: null,
        status: 'USD SPB: result unknown for 1 deals (deals without baseAmount: 1)',
      },
    ]);
  });
});
