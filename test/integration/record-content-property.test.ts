import { describe, expect, it } from 'vitest';
import { encodeMskEvent, type KafkaRecordSource } from '../../lambda/domain/kafka-record.js';
import { useAggregatorOnTestDatabase } from './support/aggregator.js';
import { RecordCases } from './support/record-content-cases.js';

// npm test runs 100,000 records; PROPERTY_RECORDS=1000000 (npm run test:property:million) runs more,
// PROPERTY_SEED replays a failure. Every failure message names the seed.
const RECORDS = Number(process.env.PROPERTY_RECORDS ?? 100_000);
const SEED = Number(process.env.PROPERTY_SEED ?? 20_260_408);
const PARTITIONS = 3;
const BATCH_RECORDS = 2_000;
// Every so many batches one is delivered twice, as the mapping may: the second must change nothing.
const REDELIVER_EVERY = 7;
const TOPIC = 'transaction';
const SOURCE = {
  eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/property/1',
  bootstrapServers: 'b-1:9098',
};

const fixture = useAggregatorOnTestDatabase();

/** Expected positions, keyed by JSON of [branch, currency] so that no branch text can collide. */
type Positions = Map<string, { sum: bigint; count: number }>;

async function storedPositions(): Promise<Positions> {
  const result = await fixture.database.pool.query<{
    branch_name: string;
    currency_code: string;
    net: string;
    n: string;
  }>(
    "SELECT branch_name, currency_code, replace(net_amount::text, '.', '') AS net, tx_count::text AS n FROM currency_position",
  );
  return new Map(
    result.rows.map((row) => [
      JSON.stringify([row.branch_name, row.currency_code]),
      { sum: BigInt(row.net), count: Number(row.n) },
    ]),
  );
}

describe(`${RECORDS} records of random content through the handler into PostgreSQL (seed ${SEED})`, () => {
  it(
    'never fails a batch for a record; applies each valid record once and sets every other aside with a reason',
    async () => {
      // Prepare
      const cases = new RecordCases(SEED);
      const expectedPositions: Positions = new Map();
      const expectedRejected: string[] = [];
      let valid = 0;

      // Act
      const failures: string[] = [];
      let delivered = 0;
      for (let batch = 0; delivered < RECORDS; batch++) {
        const records: KafkaRecordSource[] = [];
        for (; records.length < BATCH_RECORDS && delivered < RECORDS; delivered++) {
          const { value, expected } = cases.next();
          const partition = delivered % PARTITIONS;
          const offset = Math.floor(delivered / PARTITIONS);
          records.push({ topic: TOPIC, partition, offset, timestamp: 1_764_000_000_000 + delivered, value });
          if (expected.valid) {
            valid++;
            const key = JSON.stringify([expected.branch, expected.currency]);
            const position = expectedPositions.get(key) ?? { sum: 0n, count: 0 };
            expectedPositions.set(key, { sum: position.sum + expected.cents, count: position.count + 1 });
          } else expectedRejected.push(`${partition}@${offset}`);
        }
        const event = encodeMskEvent(records, SOURCE);
        const deliveries = batch % REDELIVER_EVERY === REDELIVER_EVERY - 1 ? 2 : 1;
        for (let delivery = 0; delivery < deliveries; delivery++) {
          try {
            const report = await fixture.aggregator.handler(event);
            const counted = delivery === 0 ? report.applied + report.rejected : report.skipped;
            if (counted !== records.length)
              failures.push(`batch ${batch} delivery ${delivery}: ${JSON.stringify(report)}`);
          } catch (error) {
            failures.push(`batch ${batch} delivery ${delivery} threw: ${(error as Error).message}`);
          }
        }
      }

      // Assess
      const replay = `replay with PROPERTY_SEED=${SEED} PROPERTY_RECORDS=${RECORDS}`;
      expect(failures.slice(0, 3), replay).toEqual([]);
      // The cases reach both outcomes in numbers, or the property proves little.
      expect(valid, replay).toBeGreaterThan(RECORDS * 0.3);
      expect(expectedRejected.length, replay).toBeGreaterThan(RECORDS * 0.3);

      const pool = fixture.database.pool;
      expect(await storedPositions(), replay).toEqual(expectedPositions);
      const rejected = await pool.query<{ at: string }>(
        "SELECT kafka_partition || '@' || kafka_offset AS at FROM rejected_transaction ORDER BY kafka_partition, kafka_offset",
      );
      const byPosition = (at: string) => at.split('@').map(Number) as [number, number];
      const sorted = [...expectedRejected].sort((a, b) => {
        const [pa, oa] = byPosition(a);
        const [pb, ob] = byPosition(b);
        return pa - pb || oa - ob;
      });
      expect(
        rejected.rows.map((row) => row.at),
        replay,
      ).toEqual(sorted);
      const reasons = await pool.query(
        `SELECT count(*) FILTER (WHERE reason = '')::int AS empty, max(length(reason))::int AS longest,
                count(*) FILTER (WHERE raw_value IS NULL)::int AS tombstones FROM rejected_transaction`,
      );
      expect(reasons.rows[0].empty, replay).toBe(0);
      expect(reasons.rows[0].longest, replay).toBeLessThan(300);
      const flows = await pool.query('SELECT coalesce(sum(tx_count), 0)::int AS n FROM transaction_flow');
      expect(flows.rows[0].n, replay).toBe(valid);
      const checkpoints = await pool.query(
        'SELECT next_offset::int AS next FROM partition_checkpoint ORDER BY kafka_partition',
      );
      expect(
        checkpoints.rows.map((row) => row.next),
        replay,
      ).toEqual(Array.from({ length: PARTITIONS }, (_, p) => Math.ceil((RECORDS - p) / PARTITIONS)));
    },
    Math.max(180_000, RECORDS * 3),
  );
});
