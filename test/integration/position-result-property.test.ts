import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../lambda/domain/generator.js';
import type { KafkaRecordSource } from '../../lambda/domain/kafka-record.js';
import { FLAT, foldDeal, type ResultState } from '../oracle/average-cost.js';
import { useAggregatorOnTestDatabase } from './support/aggregator.js';
import { HANDLER_TOPIC, handlerEvent } from './support/handler-events.js';

// PROPERTY_DEALS and PROPERTY_SEED replay a failure or run longer; every failure message names the seed.
const DEALS = Number(process.env.PROPERTY_DEALS ?? 3_000);
const SEED = Number(process.env.PROPERTY_SEED ?? 20_261_207);
const PARTITIONS = 3;
const T = 1_764_000_000_000;
// Trade times step by ~40 minutes, so that the stream spans days in Moscow time.
const STEP_MS = 2_400_000;

const fixture = useAggregatorOnTestDatabase();

interface Position {
  readonly branch: string;
  readonly currency: string;
  readonly partition: number;
}

// The producer keys a position to one partition (branch|currency): its deals are in offset order.
const POSITIONS: readonly Position[] = [
  { branch: 'Kazan', currency: 'USD', partition: 0 },
  { branch: 'Kazan', currency: 'RUB', partition: 0 },
  { branch: 'SPB', currency: 'USD', partition: 1 },
  { branch: 'SPB', currency: 'EUR', partition: 2 },
  { branch: 'Surgut', currency: 'CNY', partition: 2 },
  { branch: 'Surgut', currency: 'EUR', partition: 1 },
];

/** A stream of deals with flips, one-kopeck deals and now and then no baseAmount, and invalid records. */
function stream(random: () => number): {
  records: KafkaRecordSource[][];
  truth: Map<string, ResultState>;
  valid: number;
} {
  const records: KafkaRecordSource[][] = Array.from({ length: PARTITIONS }, () => []);
  const truth = new Map<string, ResultState>();
  let valid = 0;
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  for (let n = 0; n < DEALS; n++) {
    const position = POSITIONS[int(0, POSITIONS.length - 1)] as Position;
    const lane = records[position.partition] as KafkaRecordSource[];
    const offset = lane.length;
    const tradeTime = T + n * STEP_MS;
    const record = (value: string): KafkaRecordSource => ({
      topic: HANDLER_TOPIC,
      partition: position.partition,
      offset,
      timestamp: tradeTime,
      value: Buffer.from(value),
    });
    if (random() < 0.04) {
      lane.push(
        record(
          random() < 0.5
            ? JSON.stringify({
                branch: position.branch,
                currency: position.currency,
                amount: 5,
                baseAmount: 0,
              })
            : '{"branch":"Kazan","currency":"usd","amount":1}',
        ),
      );
      continue;
    }
    // Amounts from one kopeck to thousands, either sign, so that positions flip often.
    const cents = random() < 0.2 ? int(1, 300) : int(1, 500_000);
    const amountCents = (random() < 0.5 ? -1 : 1) * cents;
    // A rate around 90 with a spread, and one-kopeck base amounts too; 1 % of deals have none.
    const baseCents =
      random() < 0.01
        ? undefined
        : random() < 0.1
          ? int(1, 5)
          : Math.max(1, Math.round(cents * (85 + random() * 10)));
    const deal: Record<string, unknown> = {
      branch: position.branch,
      currency: position.currency,
      amount: amountCents / 100,
      eventTime: tradeTime,
    };
    if (baseCents !== undefined) deal.baseAmount = baseCents / 100;
    lane.push(record(JSON.stringify(deal)));
    const key = `${position.branch}|${position.currency}`;
    const folded = foldDeal(
      truth.get(key) ?? FLAT,
      {
        amountCents: BigInt(amountCents),
        baseCents: baseCents === undefined ? undefined : BigInt(baseCents),
        tradeTime,
      },
      position.currency === 'RUB',
    );
    truth.set(key, folded.state);
    valid++;
  }
  return { records, truth, valid };
}

interface StoredPosition {
  key: string;
  net: string;
  cost: string;
  realized: string;
  flow: string;
  unknown: string;
  since: Date | null;
}

describe(`the financial result of ${DEALS} random deals through the aggregator under the runtime (seed ${SEED})`, () => {
  it('equals the BigInt oracle to the kopeck however the stream is cut, redelivered or mixed with invalid records', async () => {
    // Prepare
    const random = seededRandom(SEED);
    const { records, truth, valid } = stream(random);
    const next = records.map(() => 0);
    // Official rates that change every day of the stream, for the accounting view's daily check.
    await fixture.database.pool.query(
      `INSERT INTO fx_rate (currency_code, rate, as_of)
       SELECT c, 80 + 20 * random(), d FROM unnest(ARRAY['USD', 'EUR', 'CNY']) AS c,
              generate_series(to_timestamp($1 / 1000.0) - interval '1 day', to_timestamp($2 / 1000.0), interval '1 day') AS d`,
      [T, T + DEALS * STEP_MS],
    );

    // Act: batches take a random run of each partition; now and then one is delivered again, or the
    // next starts a little before where this one ended (a redelivery overlapping what is applied).
    const failures: string[] = [];
    while (next.some((offset, p) => offset < (records[p] as KafkaRecordSource[]).length)) {
      const batch: KafkaRecordSource[] = [];
      const ends = next.map((offset, p) => {
        const lane = records[p] as KafkaRecordSource[];
        const from = random() < 0.1 ? Math.max(0, offset - Math.floor(random() * 5)) : offset;
        const to = Math.min(lane.length, offset + Math.floor(random() ** 2 * 200));
        batch.push(...lane.slice(from, to));
        return to;
      });
      if (batch.length === 0) continue;
      const event = handlerEvent(batch);
      for (let delivery = random() < 0.1 ? 2 : 1; delivery > 0; delivery--) {
        try {
          await fixture.aggregator.handler(event);
        } catch (error) {
          failures.push(`seed ${SEED}: a batch threw: ${(error as Error).message}`);
        }
      }
      ends.forEach((end, p) => {
        next[p] = end;
      });
    }
    const stored = await fixture.database.pool.query<StoredPosition>(
      `SELECT branch_name || '|' || currency_code AS key, replace(net_amount::text, '.', '') AS net,
              replace(cost_in_base::text, '.', '') AS cost, replace(realized_in_base::text, '.', '') AS realized,
              replace(base_flow::text, '.', '') AS flow, deals_without_base::text AS unknown, result_since AS since
       FROM currency_position ORDER BY 1`,
    );
    const flows = await fixture.database.pool.query<{ key: string; realized: string; deals: string }>(
      `SELECT branch_name || '|' || currency_code AS key, replace(sum(realized_in_base)::text, '.', '') AS realized,
              sum(deal_count)::text AS deals
       FROM position_result_flow GROUP BY 1`,
    );

    // Assess
    expect(failures.slice(0, 3), `seed ${SEED}`).toEqual([]);
    const actual = Object.fromEntries(
      stored.rows.map((row) => [
        row.key,
        {
          position: BigInt(row.net),
          cost: BigInt(row.cost),
          realized: BigInt(row.realized),
          baseFlow: BigInt(row.flow),
          dealsWithoutBase: Number(row.unknown),
          resultSince: row.since?.getTime(),
        },
      ]),
    );
    expect(actual, `seed ${SEED}`).toEqual(Object.fromEntries(truth));
    for (const [key, state] of truth) {
      expect(state.baseFlow, `${key}: Σb = C − R`).toBe(state.cost - state.realized);
      if (state.position === 0n) expect(state.cost, `${key}: flat costs nothing`).toBe(0n);
      if (state.dealsWithoutBase === 0) {
        expect(state.cost * state.position >= 0n, `${key}: cost signed like the position`).toBe(true);
      }
    }
    // Every deal is in the flows once; realized there adds up to realized on the position when the
    // position never went unknown (otherwise the position's realized restarted from result_since).
    const dealsInFlows = flows.rows.reduce((n, row) => n + Number(row.deals), 0);
    expect(dealsInFlows).toBe(valid);
    const days = await fixture.database.pool.query<{ ok: string; nonzero: string }>(
      `SELECT count(*) FILTER (WHERE status = 'ok') AS ok, count(*) FILTER (WHERE check_difference <> 0) AS nonzero
       FROM position_result_accounting_daily`,
    );
    expect(days.rows[0]?.nonzero, 'days where the two views differ').toBe('0');
    expect(Number(days.rows[0]?.ok)).toBeGreaterThan(10);
    for (const row of flows.rows) {
      const state = truth.get(row.key);
      if (state?.resultSince === undefined) expect(BigInt(row.realized), row.key).toBe(state?.realized);
    }
  });
});
