import { describe, expect, it } from 'vitest';
import type { KafkaRecordSource } from '../../lambda/domain/kafka-record.js';
import { readFlowTotals, readPositions } from '../../local/verify/totals.js';
import { loadMskEvent } from '../fixtures/load-msk-event.js';
import { useAggregatorOnTestDatabase } from './support/aggregator.js';
import { HANDLER_TOPIC, handlerEvent, resetHandlerTables } from './support/handler-events.js';
import { generatedRecords, truthOf } from './support/records.js';

const TOPIC = HANDLER_TOPIC;

const fixture = useAggregatorOnTestDatabase({ concurrency: 3 });

const event = handlerEvent;
const resetTables = () => resetHandlerTables(fixture.database.pool);

describe('aggregator handler on a real PostgreSQL', () => {
  it('applies a batch: positions and flow equal the deals, bad records set aside with reason and offset', async () => {
    // Prepare
    await resetTables();
    const { records, deals } = generatedRecords(TOPIC, 0, 100, 500, 7);
    const bad: KafkaRecordSource[] = [
      { topic: TOPIC, partition: 0, offset: 600, timestamp: 1, key: null, value: Buffer.from('not json') },
      { topic: TOPIC, partition: 0, offset: 601, timestamp: 1, key: Buffer.from('SPB'), value: null },
      {
        topic: TOPIC,
        partition: 0,
        offset: 602,
        timestamp: 1,
        value: Buffer.from(JSON.stringify({ branch: 'SPB', currency: 'usd', amount: 1 })),
      },
    ];

    // Act
    const report = await fixture.aggregator.handler(event([...records, ...bad]));

    // Assess
    expect(report).toMatchObject({ received: 503, applied: 500, rejected: 3, skipped: 0, attempts: 1 });
    const truth = truthOf(deals);
    expect(await readPositions(fixture.database.pool)).toEqual(truth);
    expect(await readFlowTotals(fixture.database.pool)).toEqual(truth);
    const rejected = await fixture.database.pool.query(
      'SELECT kafka_partition, kafka_offset::int AS offset, reason FROM rejected_transaction ORDER BY kafka_offset',
    );
    expect(rejected.rows).toEqual([
      { kafka_partition: 0, offset: 600, reason: expect.stringMatching(/^value is not JSON: /) },
      { kafka_partition: 0, offset: 601, reason: 'record has no value (tombstone)' },
      {
        kafka_partition: 0,
        offset: 602,
        reason: 'currency must be three uppercase letters (ISO 4217), got "usd"',
      },
    ]);
    const checkpoint = await fixture.database.pool.query(
      'SELECT next_offset::int AS next FROM partition_checkpoint',
    );
    expect(checkpoint.rows).toEqual([{ next: 603 }]);
  });

  it('applies an MSK event exactly as AWS sends it, across two partitions', async () => {
    // Prepare: two partitions; a keyless record, a tombstone, an empty value and a non-JSON value.
    await resetTables();
    const awsEvent = await loadMskEvent();

    // Act
    const report = await fixture.aggregator.handler(awsEvent);

    // Assess
    expect(report).toMatchObject({ received: 6, applied: 3, rejected: 3, attempts: 1 });
    expect(await readPositions(fixture.database.pool)).toEqual(
      new Map([
        ['Kazan|USD', { sum: 4250n, count: 1 }],
        ['SPB|EUR', { sum: -1700n, count: 1 }],
        ['Novosibirsk|RUB', { sum: 10n, count: 1 }],
      ]),
    );
    const checkpoints = await fixture.database.pool.query(
      'SELECT kafka_partition AS partition, next_offset::int AS next FROM partition_checkpoint ORDER BY 1',
    );
    expect(checkpoints.rows).toEqual([
      { partition: 0, next: 18 },
      { partition: 2, next: 43 },
    ]);
    const rejected = await fixture.database.pool.query(
      'SELECT kafka_partition AS partition, kafka_offset::int AS offset, reason FROM rejected_transaction ORDER BY 1, 2',
    );
    expect(rejected.rows).toEqual([
      { partition: 0, offset: 17, reason: 'record has no value (tombstone)' },
      { partition: 2, offset: 40, reason: 'value is empty' },
      { partition: 2, offset: 42, reason: expect.stringMatching(/^value is not JSON: /) },
    ]);
  });

  it('counts a redelivered batch once', async () => {
    // Prepare
    await resetTables();
    const { records, deals } = generatedRecords(TOPIC, 1, 0, 200, 8);

    // Act
    const first = await fixture.aggregator.handler(event(records));
    const second = await fixture.aggregator.handler(event(records));

    // Assess
    expect(first).toMatchObject({ applied: 200, skipped: 0 });
    expect(second).toMatchObject({ applied: 0, skipped: 200, batchId: null });
    expect(await readPositions(fixture.database.pool)).toEqual(truthOf(deals));
    const batches = await fixture.database.pool.query('SELECT count(*)::int AS n FROM applied_batch');
    expect(batches.rows[0].n).toBe(1);
  });

  it('applies only the new offsets of a redelivery that overlaps with other boundaries', async () => {
    // Prepare
    await resetTables();
    const { records, deals } = generatedRecords(TOPIC, 2, 0, 300, 9);

    // Act: [0,100), then [50,200) across the applied boundary, then everything again in one batch.
    const a = await fixture.aggregator.handler(event(records.slice(0, 100)));
    const b = await fixture.aggregator.handler(event(records.slice(50, 200)));
    const c = await fixture.aggregator.handler(event(records));

    // Assess
    expect(a).toMatchObject({ applied: 100, skipped: 0, attempts: 1 });
    expect(b).toMatchObject({ applied: 100, skipped: 50, attempts: 2 });
    expect(c).toMatchObject({ applied: 100, skipped: 200, attempts: 2 });
    expect(await readPositions(fixture.database.pool)).toEqual(truthOf(deals));
    expect(await readFlowTotals(fixture.database.pool)).toEqual(truthOf(deals));
  });

  it('lets concurrent invocations of all partitions update the same positions without lost updates or deadlocks', async () => {
    // Prepare: three partitions, twenty batches each, all touching the same 16 branch × currency rows.
    await resetTables();
    const partitions = [0, 1, 2].map((p) => generatedRecords(TOPIC, p, 0, 2_000, 100 + p));

    // Act: one invocation at a time per partition (as the mapping does), partitions concurrently.
    await Promise.all(
      partitions.map(async ({ records }) => {
        for (let from = 0; from < records.length; from += 100) {
          await fixture.aggregator.handler(event(records.slice(from, from + 100)));
        }
      }),
    );

    // Assess
    const truth = truthOf(partitions.flatMap((p) => p.deals));
    expect(await readPositions(fixture.database.pool)).toEqual(truth);
    expect(await readFlowTotals(fixture.database.pool)).toEqual(truth);
  });

  it('commits nothing of a batch whose write fails, and throws so that the batch is retried', async () => {
    // Prepare: a trigger makes the last insert of apply_batch fail, after positions were written.
    await resetTables();
    const { records } = generatedRecords(TOPIC, 0, 0, 50, 10);
    const poisoned: KafkaRecordSource = {
      topic: TOPIC,
      partition: 0,
      offset: 50,
      timestamp: 1,
      value: Buffer.from('[]'),
    };
    await fixture.database.pool.query(`
      CREATE FUNCTION test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'disk full (simulated)'; END $$;
      CREATE TRIGGER test_fail BEFORE INSERT ON rejected_transaction FOR EACH ROW EXECUTE FUNCTION test_fail();`);

    try {
      // Act
      const attempt = fixture.aggregator.handler(event([...records, poisoned]));

      // Assess
      await expect(attempt).rejects.toThrow('disk full (simulated)');
      const counts = await fixture.database.pool.query(
        `SELECT (SELECT count(*) FROM currency_position)::int AS positions,
                (SELECT count(*) FROM transaction_flow)::int AS flows,
                (SELECT count(*) FROM partition_checkpoint)::int AS checkpoints`,
      );
      expect(counts.rows[0]).toEqual({ positions: 0, flows: 0, checkpoints: 0 });
    } finally {
      await fixture.database.pool.query(
        'DROP TRIGGER test_fail ON rejected_transaction; DROP FUNCTION test_fail()',
      );
    }
  });
});
