import type pg from 'pg';
import { REFERENCE_RATES } from '../../contracts/producer.js';
import { DEFAULT_BRANCHES } from '../../lambda/domain/generator.js';

/**
 * Example limits and rates for the generated branches, so that a local run (with --heavy-tail) shows
 * breaches beginning and clearing. Limits in each currency's units: every branch long and short
 * 3,000 USD, 2,500 EUR, 2,000 GBP; Kazan's own USD limit 1,500; totals over all branches 8,000 USD,
 * 6,000 EUR, 5,000 GBP; the aggregate open position 1,000,000 RUB. Nothing already set is changed.
 */
const KAZAN = DEFAULT_BRANCHES[0];

/** Loads the example limits and rates; returns the line to print. */
export async function loadExampleLimits(client: pg.Client): Promise<string> {
  await client.query(
    `INSERT INTO position_limit (branch_name, currency_code, long_limit, short_limit) VALUES
       (NULL, 'USD', 3000, 3000), (NULL, 'EUR', 2500, 2500), (NULL, 'GBP', 2000, 2000), ($1, 'USD', 1500, 1500)
     ON CONFLICT DO NOTHING`,
    [KAZAN],
  );
  await client.query(
    `INSERT INTO currency_total_limit (currency_code, long_limit, short_limit) VALUES
       ('USD', 8000, 8000), ('EUR', 6000, 6000), ('GBP', 5000, 5000)
     ON CONFLICT DO NOTHING`,
  );
  await client.query(
    'UPDATE treasury_setting SET aggregate_position_limit = 1000000 WHERE aggregate_position_limit IS NULL',
  );
  // The producer's reference rates (contracts/producer.ts), which its dealers quote around.
  await client.query(
    `INSERT INTO fx_rate (currency_code, rate, as_of)
     SELECT c, r, now() FROM unnest($1::text[], $2::numeric[]) AS v(c, r)
     WHERE NOT EXISTS (SELECT FROM fx_rate f WHERE f.currency_code = v.c)`,
    [Object.keys(REFERENCE_RATES), Object.values(REFERENCE_RATES)],
  );
  return `example limits loaded: every branch ±3,000 USD (${KAZAN} ±1,500), ±2,500 EUR, ±2,000 GBP; example rates`;
}
