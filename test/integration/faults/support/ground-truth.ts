import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type pg from 'pg';
import { expect } from 'vitest';
import { readFlowTotals, readPositions } from '../../../../local/totals.js';
import { addToTruth, type Truth } from '../../support/records.js';

/** What the topic holds, read back from offset 0 to the end, without the code under test. */
export interface TopicContents {
  /** Sum and count per branch × currency of the generated deals in the topic. */
  readonly truth: Truth;
  /** End offset (high watermark) per partition. */
  readonly ends: ReadonlyMap<number, number>;
  readonly records: number;
  /** Ids found more than once: a deal the producer wrote twice. */
  readonly duplicateIds: readonly string[];
}

/**
 * Reads the whole topic with a consumer group of its own. Deals are parsed with JSON.parse and summed
 * in bigint cents here, not by the aggregator's code, so that the comparison is with an independent
 * count. Only generated deals (whole-unit amounts) are expected in the topics this is used on.
 */
export async function readTopic(brokers: readonly string[], topic: string): Promise<TopicContents> {
  const kafka = new Kafka({
    clientId: 'fault-test-verifier',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map(
    (await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)] as const),
  );
  await admin.disconnect();
  const remaining = new Map([...ends].filter(([, end]) => end > 0));
  const truth: Truth = new Map();
  const seen = new Set<string>();
  const duplicateIds: string[] = [];
  let records = 0;
  if (remaining.size > 0) {
    const consumer = kafka.consumer({ groupId: `verify-${topic}-${randomBytes(4).toString('hex')}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              const end = remaining.get(batch.partition);
              if (end === undefined || Number(message.offset) >= end) continue;
              records++;
              const deal = JSON.parse(message.value?.toString() ?? 'null') as {
                id: string;
                branch: string;
                currency: string;
                amount: number;
              };
              if (!Number.isInteger(deal.amount)) throw new Error(`not a generated deal: ${message.value}`);
              addToTruth(truth, deal.branch, deal.currency, deal.amount);
              if (seen.has(deal.id)) duplicateIds.push(deal.id);
              seen.add(deal.id);
              if (Number(message.offset) + 1 >= end) remaining.delete(batch.partition);
            }
            if (remaining.size === 0) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
  }
  return { truth, ends, records, duplicateIds };
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
