import type pg from 'pg';
import { expect } from 'vitest';
import { readTopicContents, type TopicContents } from '../../../../local/verify/topic-truth.js';
import { readFlowTotals, readPositions } from '../../../../local/verify/totals.js';
import { testKafka } from '../../support/kafka.js';
import type { Truth } from '../../support/records.js';

/** The topic read back from its first offset: the ground truth when the producer's count is in doubt. */
export function readTopic(brokers: readonly string[], topic: string): Promise<TopicContents> {
  return readTopicContents(testKafka(brokers.join(',')), topic);
}

/**
 * The proof each fault test ends with: the open positions and the transaction_flow sums equal the
 * ground truth exactly (0 lost, 0 double-counted); every offset of the topic was applied once (the
 * checkpoints stand at the topic's end, no offset gap was recorded, and the applied batches count
 * each record once).
 */
export async function expectExactTotals(
  pool: pg.Pool,
  truth: Truth,
  topic: string,
  ends: ReadonlyMap<number, number>,
): Promise<void> {
  expect(await readPositions(pool)).toEqual(truth);
  expect(await readFlowTotals(pool)).toEqual(truth);
  const checkpoints = await pool.query<{ kafka_partition: number; next_offset: string }>(
    'SELECT kafka_partition, next_offset FROM partition_checkpoint WHERE topic = $1',
    [topic],
  );
  expect(new Map(checkpoints.rows.map((row) => [row.kafka_partition, Number(row.next_offset)]))).toEqual(
    new Map([...ends].filter(([, end]) => end > 0)),
  );
  const gaps = await pool.query('SELECT * FROM offset_gap WHERE topic = $1', [topic]);
  expect(gaps.rows).toEqual([]);
  const counted = await pool.query<{ records: string }>(
    'SELECT coalesce(sum(record_count), 0)::text AS records FROM applied_batch',
  );
  expect(Number(counted.rows[0]?.records)).toBe([...ends.values()].reduce((sum, end) => sum + end, 0));
}
