import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { aggregatorFunction } from '../../../contracts/functions.js';
import { TransactionGenerator } from '../../../lambda/domain/generator.js';
import { encodeMskEvent, type KafkaRecordSource } from '../../../lambda/domain/kafka-record.js';
import { localClusterArn } from '../../../local/esm/local-mapping.js';
import { readWholeTopic } from '../../../local/verify/topic-truth.js';
import { readPositions } from '../../../local/verify/totals.js';
import { type AggregatorUnderTest, loadAggregator } from '../support/aggregator.js';
import { produce, testKafka } from '../support/kafka.js';
import { addToTruth, type Truth } from '../support/records.js';
import { createTestDatabase, type TestDatabase, uniqueTopic } from '../support/test-database.js';
import { killRecoveryAfter, runRecoveryCli } from './support/recovery-cli.js';

// Provisioned mode's case: a batch the mapping discarded after its retries (here: never invoked),
// the next one applied over the hole (acceptOffsetGaps), the hole's offsets still in the topic.
let database: TestDatabase;
let aggregator: AggregatorUnderTest;

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'));
  aggregator = await loadAggregator(database.url, {
    definition: aggregatorFunction({ acceptOffsetGaps: true }),
  });
});

afterAll(async () => {
  await aggregator?.closeConnections();
  await database?.drop();
});

describe('a batch the mapping discarded, its gap accepted by the next batch', () => {
  it('is filled from the topic by the recovery (killed once mid-way), exactly, and its gap removed', async () => {
    // Prepare
    const brokers = inject('kafkaBrokers');
    const topic = uniqueTopic();
    const generator = new TransactionGenerator({ seed: 77 });
    await produce(
      brokers,
      topic,
      Array.from({ length: 600 }, () => {
        const deal = generator.next();
        return { key: deal.branch, value: JSON.stringify(deal) };
      }),
    );
    const truth: Truth = new Map();
    const byPartition = new Map<number, KafkaRecordSource[]>();
    const ends = await readWholeTopic(testKafka(brokers), topic, (partition, offset, value) => {
      const deal = JSON.parse(value?.toString('utf8') ?? '{}') as {
        branch: string;
        currency: string;
        amount: number;
      };
      addToTruth(truth, deal.branch, deal.currency, deal.amount);
      const records = byPartition.get(partition) ?? [];
      records.push({ topic, partition, offset, timestamp: 1_764_000_000_000, value });
      byPartition.set(partition, records);
    });
    const source = { eventSourceArn: localClusterArn('test', topic), bootstrapServers: 'localhost' };
    for (const records of byPartition.values()) {
      const third = Math.floor(records.length / 3);
      await aggregator.handler(encodeMskEvent(records.slice(0, third), source));
      // records.slice(third, 2 * third): discarded by the mapping.
      await aggregator.handler(encodeMskEvent(records.slice(2 * third), source));
    }
    const gapsBefore = await database.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM offset_gap');
    const target = { brokers, databaseUrl: database.url, topic, groupId: `${topic}-aggregator` };

    // Act
    const killed = await killRecoveryAfter(target, 1, ['--fill-gaps', '--batch-size', '20']);
    const filled = await runRecoveryCli(target, ['--fill-gaps', '--batch-size', '20']);
    const again = await runRecoveryCli(target, ['--fill-gaps']);

    // Assess: three gaps were recorded; the fill, stopped once, applied each offset once.
    expect(gapsBefore.rows[0]?.n).toBe(byPartition.size);
    expect(killed.signal).toBe('SIGKILL');
    expect(filled.code, filled.output).toBe(0);
    expect(filled.output).toMatch(/gap \d+\.\.\d+ filled from the topic: applied \d+ deals/);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain(`topic ${topic}: no offset gap recorded`);
    expect(await readPositions(database.pool)).toEqual(truth);
    const gaps = await database.pool.query('SELECT * FROM offset_gap');
    expect(gaps.rows).toEqual([]);
    const checkpoints = await database.pool.query<{
      event_source: string;
      kafka_partition: number;
      next_offset: string;
    }>('SELECT event_source, kafka_partition, next_offset FROM partition_checkpoint');
    expect(checkpoints.rows.map((r) => r.event_source)).toEqual(
      checkpoints.rows.map(() => source.eventSourceArn),
    );
    expect(new Map(checkpoints.rows.map((r) => [r.kafka_partition, Number(r.next_offset)]))).toEqual(
      new Map([...ends].filter(([, end]) => end > 0)),
    );
    const counted = await database.pool.query<{ n: string }>(
      'SELECT sum(record_count)::text AS n FROM applied_batch',
    );
    expect(Number(counted.rows[0]?.n)).toBe([...ends.values()].reduce((sum, end) => sum + end, 0));
  });
});
