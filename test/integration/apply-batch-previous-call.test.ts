import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MIGRATIONS_TABLE } from '../../db/migrate.js';
import { APPLY_BATCH_SQL, applyBatchParameters } from '../../lambda/adapters/postgres-position-store.js';
import { aggregateBatch } from '../../lambda/domain/aggregate.js';
import type { BatchAggregate } from '../../lambda/domain/batch-aggregate.js';
import type { KafkaRecord } from '../../lambda/domain/kafka-record.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

// A function rolled back to the release before migrations 1764000000010 and 0011 still calls apply_batch
// with the deals as d_cells, d_amounts and d_bases (decimals). That overload converts and calls the new
// one. Both calls must leave the figures the previous schema (both migrated down: the numeric fold of
// 1764000000009) leaves, to the kopeck.
const PREVIOUS_CALL = [
  ['d_deals => $21::int[]', 'd_cells => $21::int[]'],
  ['d_cents => $22::bigint[]', 'd_amounts => $22::numeric[]'],
  ['d_kopecks => $23::bigint[]', 'd_bases => $23::numeric[]'],
  [
    'd_time_origin => $24::bigint, d_times => $25::bigint[], p_accept_gaps => $26::boolean',
    'd_times => $24::bigint[], p_accept_gaps => $25::boolean',
  ],
].reduce((sql, [now, before]) => {
  if (!sql.includes(now as string)) throw new Error(`the current call no longer has ${now}`);
  return sql.replace(now as string, before as string);
}, APPLY_BATCH_SQL);

/** The parameters as the previous release sent them: a cell per deal, amounts and baseAmounts in units. */
function previousParameters(batch: BatchAggregate): unknown[] {
  const cells: number[] = [];
  const amounts: string[] = [];
  const bases: (string | null)[] = [];
  const times: number[] = [];
  batch.deltas.forEach((delta, index) => {
    delta.amounts.forEach((cents, k) => {
      cells.push(index + 1);
      amounts.push(String(cents / 100));
      const base = delta.bases[k];
      bases.push(base === null || base === undefined ? null : String(base));
      times.push(delta.tradeTimes[k] as number);
    });
  });
  return [...applyBatchParameters(batch).slice(0, 20), cells, amounts, bases, times, false];
}

/** Seeded deals over two branches in USD and RUB: flips, zero amounts, one kopeck, no baseAmount. */
function batches(seed: number, count: number, size: number): BatchAggregate[] {
  // mulberry32: every bit of it random, so that branches and currencies mix.
  let state = seed >>> 0;
  const next = (n: number): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4_294_967_296) * n);
  };
  const T = Date.UTC(2026, 11, 7, 20, 59, 0);
  return Array.from({ length: count }, (_, b) => {
    const records: KafkaRecord[] = Array.from({ length: size }, (_, i) => {
      const offset = b * size + i;
      const amount = (next(60_001) - 30_000) / 100;
      const deal: Record<string, unknown> = {
        branch: next(2) === 0 ? 'Kazan' : 'SPB',
        currency: next(3) === 0 ? 'RUB' : 'USD',
        amount: next(10) === 0 ? 0 : amount,
        // Across Moscow midnight (21:00 UTC), so that some batches span two trade dates.
        eventTime: T + offset * 1_000,
      };
      const shape = next(10);
      if (shape > 0)
        deal.baseAmount = shape === 1 ? 0.01 : Math.max(1, Math.round(Math.abs(amount) * 9_000)) / 100;
      return {
        topic: 'transaction',
        partition: 0,
        offset,
        timestamp: T + offset,
        value: Buffer.from(JSON.stringify(deal)),
      };
    });
    return aggregateBatch('arn:aws:kafka:eu-central-1:123456789012:cluster/c/u', records);
  });
}

const FIGURES =
  'SELECT branch_name, currency_code, net_amount, cost_in_base, realized_in_base, base_flow, deals_without_base, ' +
  'result_since FROM currency_position ORDER BY 1, 2';
const FLOWS =
  'SELECT branch_name, currency_code, trade_date::text, sum(deal_count) AS deals, sum(amount) AS amount, ' +
  'sum(base_amount) AS base, sum(deals_without_base) AS without, sum(deals_result_unknown) AS unknown, ' +
  'sum(realized_in_base) AS realized, sum(cost_change) AS cost FROM position_result_flow GROUP BY 1, 2, 3 ORDER BY 1, 2, 3';

let current: TestDatabase;
let adapted: TestDatabase;
let previous: TestDatabase;

beforeAll(async () => {
  const url = inject('databaseUrl');
  [current, adapted, previous] = await Promise.all([
    createTestDatabase(url),
    createTestDatabase(url),
    createTestDatabase(url),
  ]);
  const client = await previous.pool.connect();
  try {
    const down = await runner({
      dbClient: client,
      dir: fileURLToPath(new URL('../../db/migrations', import.meta.url)),
      direction: 'down',
      count: 2,
      migrationsTable: MIGRATIONS_TABLE,
      log: () => undefined,
    });
    expect(down.map((m) => m.name)).toEqual([
      '1764000000011_apply-batch-integer-deals',
      '1764000000010_fold-in-integers',
    ]);
  } finally {
    client.release();
  }
});

afterAll(async () => {
  await Promise.all([current?.drop(), adapted?.drop(), previous?.drop()]);
});

describe('apply_batch called as the previous release calls it (a rolled-back function)', () => {
  it('leaves the same positions, results and daily flows as the current call, batch by batch', async () => {
    // Prepare
    const stream = batches(20_261_208, 12, 400);
    const realizedBy = { current: [] as unknown[], adapted: [] as unknown[], previous: [] as unknown[] };
    const apply = async (database: TestDatabase, sql: string, parameters: unknown[]): Promise<unknown> =>
      (await database.pool.query<{ outcome: Record<string, unknown> }>(sql, parameters)).rows[0]?.outcome
        .realizedInBase;

    // Act
    for (const batch of stream) {
      realizedBy.current.push(await apply(current, APPLY_BATCH_SQL, applyBatchParameters(batch)));
      realizedBy.adapted.push(await apply(adapted, PREVIOUS_CALL, previousParameters(batch)));
      realizedBy.previous.push(await apply(previous, PREVIOUS_CALL, previousParameters(batch)));
    }

    // Assess
    const days = await current.pool.query('SELECT DISTINCT trade_date FROM position_result_flow');
    expect(days.rowCount).toBe(2);
    expect(realizedBy.current.every((r) => typeof r === 'string')).toBe(true);
    const figures = (await current.pool.query(FIGURES)).rows;
    const flows = (await current.pool.query(FLOWS)).rows;
    for (const other of [adapted, previous]) {
      expect((await other.pool.query(FIGURES)).rows).toEqual(figures);
      expect((await other.pool.query(FLOWS)).rows).toEqual(flows);
    }
    expect(realizedBy.adapted).toEqual(realizedBy.current);
    expect(realizedBy.previous).toEqual(realizedBy.current);
    const realized = await current.pool.query<{ realized: string }>(
      'SELECT sum(realized_in_base)::text AS realized FROM currency_position',
    );
    expect(realized.rows[0]?.realized).not.toBe('0.00');
  });
});
