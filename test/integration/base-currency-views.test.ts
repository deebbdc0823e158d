import { describe, expect, it } from 'vitest';
import { TransactionGenerator } from '../../lambda/domain/generator.js';
import { formatCents, parseCents } from '../../lambda/domain/money.js';
import { useAggregatorOnTestDatabase } from './support/aggregator.js';
import { HANDLER_TOPIC, handlerEvent, resetHandlerTables } from './support/handler-events.js';
import { dealRecords } from './support/records.js';

const fixture = useAggregatorOnTestDatabase();

const RATE_DECIMALS = 10n;
const RATE_SCALE = 10n ** RATE_DECIMALS;

/** Rates as a treasurer enters them: more decimals than cents, so that rounding matters. */
const RATES: Record<string, string> = { USD: '92.1234567891', EUR: '100.5000000049', GBP: '117.0000000001' };

/** cents × rate, rounded to the cent half away from zero, in integers only. */
function valued(cents: bigint, rate: string): bigint {
  const [whole = '0', fraction = ''] = rate.split('.');
  const scaled = BigInt(whole) * RATE_SCALE + BigInt(fraction.padEnd(Number(RATE_DECIMALS), '0'));
  const product = cents * scaled;
  const magnitude = (product < 0n ? -product : product) + RATE_SCALE / 2n;
  return (product < 0n ? -1n : 1n) * (magnitude / RATE_SCALE);
}

type Deal = { branch: string; currency: string; amount: number };

/** Applies the deals through the aggregator and returns each position's cents, summed here. */
async function applyDeals(deals: readonly Deal[]): Promise<Map<string, bigint>> {
  await fixture.aggregator.handler(handlerEvent(dealRecords(HANDLER_TOPIC, 0, 0, deals)));
  const positions = new Map<string, bigint>();
  for (const deal of deals) {
    const key = `${deal.branch}|${deal.currency}`;
    positions.set(key, (positions.get(key) ?? 0n) + parseCents(String(deal.amount)));
  }
  return positions;
}

async function setRates(rates: Record<string, string>): Promise<void> {
  const pool = fixture.database.pool;
  await pool.query('DELETE FROM fx_rate');
  for (const [currency, rate] of Object.entries(rates)) {
    // An older rate and one not yet in force beside each current one: neither may be used.
    await pool.query(
      `INSERT INTO fx_rate (currency_code, rate, as_of) VALUES
         ($1, $2, now() - interval '1 hour'), ($1, 1, now() - interval '2 days'), ($1, 999, now() + interval '1 day')`,
      [currency, rate],
    );
  }
}

function perCurrency(positions: Map<string, bigint>): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const [key, cents] of positions) {
    const currency = key.split('|')[1] ?? '';
    totals.set(currency, (totals.get(currency) ?? 0n) + cents);
  }
  return totals;
}

const heavyTailDeals = (count: number, seed: number): Deal[] => {
  const generator = new TransactionGenerator({ amounts: 'heavy-tail', seed });
  return Array.from({ length: count }, () => generator.next());
};

describe('positions in the base currency', () => {
  it('values each position, each currency and the aggregate open position to the cent for given rates', async () => {
    // Prepare
    await resetHandlerTables(fixture.database.pool);
    // A large short EUR deal, so that the aggregate has long and short sides.
    const positions = await applyDeals([
      ...heavyTailDeals(3_000, 21),
      { branch: 'SPB', currency: 'EUR', amount: -99_999.99 },
    ]);
    await setRates(RATES);
    await fixture.database.pool.query(
      `INSERT INTO currency_total_limit VALUES ('USD', 1000, 1000), ('EUR', NULL, 1000000)
       ON CONFLICT (currency_code) DO UPDATE SET long_limit = EXCLUDED.long_limit, short_limit = EXCLUDED.short_limit`,
    );
    await fixture.database.pool.query('UPDATE treasury_setting SET aggregate_position_limit = 1.00');

    // Act
    const branchRows = await fixture.database.pool.query(
      `SELECT branch_name || '|' || trim(currency_code) AS key, base_amount::text AS base, valuation
       FROM position_in_base_currency ORDER BY 1`,
    );
    const currencyRows = await fixture.database.pool.query(
      `SELECT trim(currency_code) AS currency, net_amount::text AS net, base_amount::text AS base, valuation, limit_status
       FROM currency_total_in_base_currency ORDER BY 1`,
    );
    const aggregate = await fixture.database.pool.query(
      `SELECT trim(base_currency) AS base_currency, long_total::text AS long, short_total::text AS short,
              aggregate_position::text AS aggregate, valuation, limit_status FROM aggregate_open_position`,
    );

    // Assess
    const rateOf = (currency: string) => RATES[currency] ?? '1';
    expect(branchRows.rows).toEqual(
      [...positions.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, cents]) => {
          const currency = key.split('|')[1] ?? '';
          return {
            key,
            base: formatCents(valued(cents, rateOf(currency))),
            valuation: currency === 'RUB' ? 'base currency' : 'fx_rate',
          };
        }),
    );
    const totals = perCurrency(positions);
    const baseTotals = new Map(
      [...totals].map(([currency, cents]) => [currency, valued(cents, rateOf(currency))]),
    );
    expect(currencyRows.rows.map(({ currency, net, base }) => ({ currency, net, base }))).toEqual(
      [...totals.keys()].sort().map((currency) => ({
        currency,
        net: formatCents(totals.get(currency) ?? 0n),
        base: formatCents(baseTotals.get(currency) ?? 0n),
      })),
    );
    const usd = totals.get('USD') ?? 0n;
    expect(currencyRows.rows.find((row) => row.currency === 'USD')?.limit_status).toBe(
      usd > 100_000n ? 'long limit breached' : usd < -100_000n ? 'short limit breached' : 'within limits',
    );
    const foreign = [...baseTotals].filter(([currency]) => currency !== 'RUB').map(([, cents]) => cents);
    const long = foreign.filter((c) => c > 0n).reduce((a, b) => a + b, 0n);
    const short = -foreign.filter((c) => c < 0n).reduce((a, b) => a + b, 0n);
    expect(short).toBeGreaterThan(0n);
    expect(aggregate.rows).toEqual([
      {
        base_currency: 'RUB',
        long: formatCents(long),
        short: formatCents(short),
        // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max does not take
        aggregate: formatCents(long > short ? long : short),
        valuation: 'complete',
        limit_status: 'limit breached',
      },
    ]);
  });

  it('shows a missing rate as such, never as a figure, and lets a currency with no position go without one', async () => {
    // Prepare: GBP has positions but no rate; CHF nets to zero with no rate.
    await resetHandlerTables(fixture.database.pool);
    await applyDeals([
      ...heavyTailDeals(500, 22),
      { branch: 'Kazan', currency: 'CHF', amount: 10.05 },
      { branch: 'Kazan', currency: 'CHF', amount: -10.05 },
    ]);
    const { GBP: _withoutGbp, ...rates } = RATES;
    await setRates(rates);

    // Act
    const gbp = await fixture.database.pool.query(
      `SELECT DISTINCT base_amount, rate, valuation FROM position_in_base_currency WHERE currency_code = 'GBP'
       UNION ALL
       SELECT base_amount, rate, valuation FROM currency_total_in_base_currency WHERE currency_code = 'GBP'`,
    );
    const aggregate = await fixture.database.pool.query(
      'SELECT long_total, short_total, aggregate_position, valuation, limit_status FROM aggregate_open_position',
    );
    await setRates(RATES);
    const valuedAgain = await fixture.database.pool.query(
      'SELECT aggregate_position IS NOT NULL AS valued, valuation FROM aggregate_open_position',
    );

    // Assess
    expect(gbp.rows).toEqual([
      { base_amount: null, rate: null, valuation: 'missing rate' },
      { base_amount: null, rate: null, valuation: 'missing rate' },
    ]);
    expect(aggregate.rows).toEqual([
      {
        long_total: null,
        short_total: null,
        aggregate_position: null,
        valuation: 'missing rate: GBP',
        limit_status: 'unknown: missing rate',
      },
    ]);
    expect(valuedAgain.rows).toEqual([{ valued: true, valuation: 'complete' }]);
  });
});
