import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runScript } from '../../local/support/child-process.js';
import { readWholeTopic } from '../../local/verify/topic-truth.js';
import {
  type AppliedBatch,
  expectedBreaches,
  type LimitSetting,
  readBreaches,
} from './support/breach-oracle.js';
import { testKafka } from './support/kafka.js';
import { createTestDatabase, type TestDatabase, uniqueTopic } from './support/test-database.js';

type Deal = { branch: string; currency: string; amount: number };

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'));
});

afterAll(async () => {
  await database?.drop();
});

/** Every deal in the topic, by "partition@offset". */
async function dealsInTopic(brokers: string, topic: string): Promise<Map<string, Deal>> {
  const deals = new Map<string, Deal>();
  await readWholeTopic(testKafka(brokers), topic, (partition, offset, value) => {
    deals.set(`${partition}@${offset}`, JSON.parse(value?.toString('utf8') ?? 'null') as Deal);
  });
  return deals;
}

describe('a local run with the example limits', () => {
  it('shows breaches beginning and clearing, and limit_breach equals a computation over the deals it applied', async () => {
    // Prepare
    const brokers = inject('kafkaBrokers');
    const topic = uniqueTopic();
    const env = { KAFKA_BROKERS: brokers, DATABASE_URL: database.url, TOPIC: topic };

    // Act: 20 s at 200 deals/s, heavy-tailed, into a given database that asks for the example limits.
    const run = await runScript(
      'local/run/cli.ts',
      [
        '--duration',
        '20',
        '--rate',
        '200',
        '--heavy-tail',
        '--example-limits',
        '--quiet',
        '--window',
        '0.5',
        '--group',
        `${topic}-aggregator`,
        '--no-dashboard',
      ],
      { env, timeoutMs: 240_000 },
    );

    // Assess: the run marked breaches as they happened, and its own check passed.
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/!! LIMIT BREACH began: /);
    expect(run.output).toMatch(/-- limit breach cleared: /);
    // The oracle replays the topic's deals batch by batch, as applied_batch's offset ranges cut them,
    // in batch order (each branch is one key, so one partition, so its batches are sequential).
    const deals = await dealsInTopic(brokers, topic);
    const batches = await database.pool.query<{
      batch_id: string;
      offset_ranges: { partition: number; fromOffset: number; nextOffset: number }[];
    }>('SELECT batch_id, offset_ranges FROM applied_batch ORDER BY batch_id');
    const applied: AppliedBatch[] = batches.rows.map((batch) => ({
      batchId: Number(batch.batch_id),
      deals: batch.offset_ranges.flatMap((range) =>
        Array.from({ length: range.nextOffset - range.fromOffset }, (_, i) => {
          const deal = deals.get(`${range.partition}@${range.fromOffset + i}`);
          if (deal === undefined) throw new Error(`no record at ${range.partition}@${range.fromOffset + i}`);
          return deal;
        }),
      ),
    }));
    const limits = await database.pool.query<LimitSetting>(
      `SELECT branch_name AS branch, trim(currency_code) AS currency, long_limit::text AS long,
              short_limit::text AS short FROM position_limit`,
    );
    const rows = await readBreaches(database.pool);
    expect(applied.reduce((n, batch) => n + batch.deals.length, 0)).toBe(4_000);
    expect(rows.some((row) => row.clearedBatch !== null)).toBe(true);
    expect(rows).toEqual(expectedBreaches(applied, limits.rows));
  });
});
