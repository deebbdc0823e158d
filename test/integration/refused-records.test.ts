import { describe, expect, it } from 'vitest';
import type { KafkaRecordSource } from '../../lambda/domain/kafka-record.js';
import { readPositions } from '../../local/verify/totals.js';
import { useAggregatorOnTestDatabase } from './support/aggregator.js';
import { HANDLER_TOPIC, handlerEvent, resetHandlerTables } from './support/handler-events.js';
import { generatedRecords, truthOf } from './support/records.js';

const TOPIC = HANDLER_TOPIC;

const fixture = useAggregatorOnTestDatabase();

const event = handlerEvent;
const resetTables = () => resetHandlerTables(fixture.database.pool);

async function rejectedRows(): Promise<{ offset: number; reason: string }[]> {
  const result = await fixture.database.pool.query(
    'SELECT kafka_offset::int AS offset, reason FROM rejected_transaction ORDER BY kafka_offset',
  );
  return result.rows;
}

async function checkpointOf(partition: number): Promise<number | undefined> {
  const result = await fixture.database.pool.query(
    'SELECT next_offset::int AS next FROM partition_checkpoint WHERE kafka_partition = $1',
    [partition],
  );
  return result.rows[0]?.next;
}

const jsonValue = (text: string) => Buffer.from(text);

describe('records the database could not store (issue 8)', () => {
  it('sets aside a Confluent-framed value, a branch with U+0000 and a lone surrogate next to U+FFFD, and applies their neighbours', async () => {
    // Prepare: the three kinds of record that failed apply_batch on every retry, among valid deals.
    await resetTables();
    const { records, deals } = generatedRecords(TOPIC, 0, 0, 40, 81);
    const at = (offset: number, value: Buffer): KafkaRecordSource => ({
      topic: TOPIC,
      partition: 0,
      offset,
      timestamp: 1_764_000_000_000,
      value,
    });
    const odd = [
      at(40, Buffer.from([0x00, 0x00, 0x00, 0x00, 0x07, 0x06, 0x53, 0x50, 0x42])),
      at(41, jsonValue('{"branch":"S\\u0000PB","currency":"USD","amount":5}')),
      at(42, jsonValue('{"branch":"SPB\\ud800","currency":"USD","amount":5}')),
      at(43, jsonValue('{"branch":"SPB\ufffd","currency":"USD","amount":7}')),
    ];
    const tail = generatedRecords(TOPIC, 0, 44, 10, 82);

    // Act
    const report = await fixture.aggregator.handler(event([...records, ...odd, ...tail.records]));

    // Assess
    expect(report).toMatchObject({ received: 54, applied: 51, rejected: 3, attempts: 1 });
    const truth = truthOf([...deals, ...tail.deals]);
    truth.set('SPB\ufffd|USD', { sum: 700n, count: 1 });
    expect(await readPositions(fixture.database.pool)).toEqual(truth);
    expect(await rejectedRows()).toEqual([
      { offset: 40, reason: expect.stringMatching(/^value is not JSON: .*\\u0000/) },
      { offset: 41, reason: 'branch contains the control character U+0000 at code point 2' },
      { offset: 42, reason: 'branch is not valid Unicode: lone surrogate U+D800 at code point 4' },
    ]);
    expect(await checkpointOf(0)).toBe(54);
  });
});

describe('a batch the database refuses for one record', () => {
  it('sets aside the record a CHECK constraint refuses (SQLSTATE 23514) and commits the others', async () => {
    // Prepare: a constraint the validator knows nothing of, and one deal that breaks it.
    await resetTables();
    await fixture.database.pool.query(
      "ALTER TABLE currency_position ADD CONSTRAINT test_no_poison CHECK (branch_name <> 'Poison')",
    );
    try {
      const partitions = [0, 1, 2].map((p) => generatedRecords(TOPIC, p, 0, 200, 90 + p));
      const poison: KafkaRecordSource = {
        topic: TOPIC,
        partition: 1,
        offset: 200,
        timestamp: 1_764_000_000_000,
        key: Buffer.from('Poison'),
        value: jsonValue('{"branch":"Poison","currency":"EUR","amount":3}'),
      };
      const after = generatedRecords(TOPIC, 1, 201, 50, 95);

      // Act
      const report = await fixture.aggregator.handler(
        event([...partitions.flatMap((p) => p.records), poison, ...after.records]),
      );

      // Assess
      expect(report).toMatchObject({ received: 651, applied: 650, rejected: 1 });
      expect(report.attempts).toBeGreaterThan(1);
      expect(await readPositions(fixture.database.pool)).toEqual(
        truthOf([...partitions.flatMap((p) => p.deals), ...after.deals]),
      );
      expect(await rejectedRows()).toEqual([
        {
          offset: 200,
          reason:
            'the database refused this record: SQLSTATE 23514: new row for relation "currency_position" ' +
            'violates check constraint "test_no_poison"',
        },
      ]);
      const raw = await fixture.database.pool.query('SELECT raw_value FROM rejected_transaction');
      expect(raw.rows[0].raw_value).toEqual(poison.value);
      expect([await checkpointOf(0), await checkpointOf(1), await checkpointOf(2)]).toEqual([200, 251, 200]);
      const gaps = await fixture.database.pool.query('SELECT count(*)::int AS n FROM offset_gap');
      expect(gaps.rows[0].n).toBe(0);

      // A redelivery of the same event changes nothing.
      const again = await fixture.aggregator.handler(
        event([...partitions.flatMap((p) => p.records), poison, ...after.records]),
      );
      expect(again).toMatchObject({ applied: 0, skipped: 651 });
    } finally {
      await fixture.database.pool.query('ALTER TABLE currency_position DROP CONSTRAINT test_no_poison');
    }
  });

  it('still throws on a serialization failure (SQLSTATE 40001), so that the batch is retried', async () => {
    // Prepare: a trigger fails the write with a class the mapping must retry.
    await resetTables();
    const { records } = generatedRecords(TOPIC, 0, 0, 20, 96);
    await fixture.database.pool.query(`
      CREATE FUNCTION test_serialization() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'could not serialize (simulated)' USING ERRCODE = '40001'; END $$;
      CREATE TRIGGER test_serialization BEFORE INSERT ON currency_position
      FOR EACH ROW EXECUTE FUNCTION test_serialization();`);
    try {
      // Act
      const attempt = fixture.aggregator.handler(event(records));

      // Assess
      // The runtime answers an errorType document: pg's error, with the server's message.
      await expect(attempt).rejects.toThrow('could not serialize (simulated)');
      expect(await checkpointOf(0)).toBeUndefined();
      expect(await rejectedRows()).toEqual([]);
    } finally {
      await fixture.database.pool.query(
        'DROP TRIGGER test_serialization ON currency_position; DROP FUNCTION test_serialization()',
      );
    }
  });
});
