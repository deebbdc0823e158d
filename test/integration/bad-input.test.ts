import { CompressionTypes } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { createTopic } from '../../local/infra/kafka/admin.js';
import { expectExactTotals } from './faults/support/ground-truth.js';
import { emulatorFor } from './faults/support/in-process.js';
import { LiveProducer } from './faults/support/live-producer.js';
import { useAggregatorOnTestDatabase } from './support/aggregator.js';
import { fullyCommitted, testKafka, topicEnds, waitFor } from './support/kafka.js';
import type { Truth } from './support/records.js';
import { uniqueTopic } from './support/test-database.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const deal = (fields: Record<string, unknown>) =>
  json({ branch: 'SPB', currency: 'USD', amount: 10, ...fields });
const OUT_OF_BOUNDS = 'is out of bounds: its absolute value must be at most 1000000000000';

/** A valid deal whose JSON text is exactly `bytes` long, padded by an extra field. */
function dealOfBytes(bytes: number): Buffer {
  const empty = deal({ padding: '' }).length;
  return deal({ padding: 'x'.repeat(bytes - empty) });
}

interface Malformed {
  readonly kind: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly reason: string | RegExp;
}

/** Malformed records, each with the precise reason it must be set aside with. */
const MALFORMED: readonly Malformed[] = [
  { kind: 'not JSON', key: 'bad', value: Buffer.from('{"branch":"Kazan"'), reason: /^value is not JSON: / },
  {
    kind: 'a JSON array',
    key: 'bad',
    value: json([1, 2]),
    reason: 'value must be a JSON object, got an array',
  },
  { kind: 'a JSON number', key: 'bad', value: json(42), reason: 'value must be a JSON object, got a number' },
  { kind: 'JSON null', key: 'bad', value: json(null), reason: 'value must be a JSON object, got null' },
  {
    kind: 'a JSON string',
    key: 'bad',
    value: json('SPB'),
    reason: 'value must be a JSON object, got a string',
  },
  {
    kind: 'missing branch',
    key: 'bad',
    value: json({ currency: 'USD', amount: 1 }),
    reason: 'branch is missing',
  },
  {
    kind: 'missing currency',
    key: 'bad',
    value: json({ branch: 'SPB', amount: 1 }),
    reason: 'currency is missing',
  },
  {
    kind: 'missing amount',
    key: 'bad',
    value: json({ branch: 'SPB', currency: 'USD' }),
    reason: 'amount is missing',
  },
  {
    kind: 'branch of the wrong type',
    key: 'bad',
    value: deal({ branch: 7 }),
    reason: 'branch must be a string, got a number',
  },
  {
    kind: 'currency of the wrong type',
    key: 'bad',
    value: deal({ currency: ['USD'] }),
    reason: 'currency must be a string, got an array',
  },
  {
    kind: 'amount a string',
    key: 'bad',
    value: deal({ amount: '10' }),
    reason: 'amount must be a JSON number, got a string',
  },
  {
    kind: 'amount a boolean',
    key: 'bad',
    value: deal({ amount: true }),
    reason: 'amount must be a JSON number, got a boolean',
  },
  {
    // JSON has no NaN: a producer that writes it writes something that is not JSON.
    kind: 'amount NaN',
    key: 'bad',
    value: Buffer.from('{"branch":"SPB","currency":"USD","amount":NaN}'),
    reason: /^value is not JSON: /,
  },
  {
    kind: 'amount Infinity',
    key: 'bad',
    value: Buffer.from('{"branch":"SPB","currency":"USD","amount":Infinity}'),
    reason: /^value is not JSON: /,
  },
  {
    // Valid JSON that parses to Infinity.
    kind: 'amount 1e999',
    key: 'bad',
    value: Buffer.from('{"branch":"SPB","currency":"USD","amount":1e999}'),
    reason: 'amount is not a finite number',
  },
  {
    kind: 'amount with three decimals',
    key: 'bad',
    value: deal({ amount: 1.234 }),
    reason: 'amount 1.234 has more than 2 decimal places',
  },
  {
    kind: 'amount out of bounds',
    key: 'bad',
    value: deal({ amount: 1e13 }),
    reason: `amount 10000000000000 ${OUT_OF_BOUNDS}`,
  },
  {
    kind: 'negative amount out of bounds',
    key: 'bad',
    value: deal({ amount: -2e12 }),
    reason: `amount -2000000000000 ${OUT_OF_BOUNDS}`,
  },
  {
    kind: 'currency in lowercase',
    key: 'bad',
    value: deal({ currency: 'usd' }),
    reason: 'currency must be three uppercase letters (ISO 4217), got "usd"',
  },
  {
    kind: 'currency of four letters',
    key: 'bad',
    value: deal({ currency: 'USDT' }),
    reason: 'currency must be three uppercase letters (ISO 4217), got "USDT"',
  },
  { kind: 'empty branch', key: 'bad', value: deal({ branch: '' }), reason: 'branch is empty' },
  { kind: 'blank branch', key: 'bad', value: deal({ branch: '   ' }), reason: 'branch is empty' },
  {
    kind: 'huge branch',
    key: 'bad',
    value: deal({ branch: 'B'.repeat(10_000) }),
    reason: 'branch is 10000 code points long, above the limit of 64',
  },
  {
    kind: 'invalid UTF-8',
    key: 'bad',
    value: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    reason: 'value is not valid UTF-8',
  },
  { kind: 'empty value', key: 'bad', value: Buffer.alloc(0), reason: 'value is empty' },
  { kind: 'tombstone', key: null, value: null, reason: 'record has no value (tombstone)' },
  { kind: 'key with no value', key: 'Kazan', value: null, reason: 'record has no value (tombstone)' },
  {
    kind: 'oversized message',
    key: 'bad',
    value: dealOfBytes(100_000),
    reason: 'value is 100000 bytes, above the limit of 65536',
  },
  {
    kind: 'id of the wrong type',
    key: 'bad',
    value: deal({ id: 5 }),
    reason: 'id must be a string, got a number',
  },
  {
    kind: 'negative event time',
    key: 'bad',
    value: deal({ eventTime: -1 }),
    reason: 'eventTime must be a non-negative integer of epoch milliseconds',
  },
];

/** Unusual but valid: applied, not rejected (unknown extra fields are tolerated, as the issue asks). */
const UNUSUAL_VALID: readonly { branch: string; currency: string; cents: bigint; value: Buffer }[] = [
  {
    branch: 'SPB',
    currency: 'USD',
    cents: 1000n,
    value: deal({ note: 'extra field', nested: { a: [1, 2] } }),
  },
  { branch: 'SPB', currency: 'USD', cents: 1230n, value: deal({ amount: 12.3 }) },
  { branch: 'SPB', currency: 'USD', cents: -1n, value: deal({ amount: -0.01 }) },
  { branch: 'SPB', currency: 'USD', cents: 0n, value: deal({ amount: 0 }) },
  {
    branch: 'Kazan',
    currency: 'GBP',
    cents: 99_999_999_999_999n,
    value: deal({ branch: 'Kazan', currency: 'GBP', amount: 999_999_999_999.99 }),
  },
];

const fixture = useAggregatorOnTestDatabase();

describe('malformed records mixed into a live stream', () => {
  it(`sets each of ${MALFORMED.length} kinds aside with its reason and offset, applies the valid records around them, and keeps every partition moving`, async () => {
    // Prepare: a live stream of valid deals; the malformed and unusual records go in between them,
    // one request each so that the broker's answer gives each record's offset.
    const brokers = inject('kafkaBrokers');
    const topic = uniqueTopic();
    const groupId = `${topic}-aggregator`;
    await createTopic(brokers.split(','), topic, 3);
    const live = await LiveProducer.start({
      brokers: brokers.split(','),
      topic,
      ratePerSecond: 300,
      seed: 11,
    });
    const emulator = emulatorFor(testKafka(brokers), topic, groupId, (event) =>
      fixture.aggregator.handler(event),
    );
    await emulator.start();
    const sender = testKafka(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
    await sender.connect();
    const send = async (key: string | null, value: Buffer | null, partition: number): Promise<number> => {
      const [written] = await sender.send({
        topic,
        compression: CompressionTypes.GZIP,
        messages: [{ key, value, partition }],
      });
      return Number(written?.baseOffset);
    };
    const expected: {
      partition: number;
      offset: number;
      kind: string;
      reason: string | RegExp;
      value: Buffer | null;
    }[] = [];
    const truth: Truth = new Map();

    // Act
    try {
      await waitFor(async () => emulator.stats.recordsCommitted > 0, 60_000, 'the stream to be consumed');
      for (const [i, record] of MALFORMED.entries()) {
        const partition = i % 3;
        const offset = await send(record.key, record.value, partition);
        expected.push({ partition, offset, kind: record.kind, reason: record.reason, value: record.value });
        // Valid deals between any two malformed records.
        const acknowledged = live.acknowledged;
        await waitFor(async () => live.acknowledged > acknowledged, 10_000, 'valid deals after it', 10);
      }
      for (const [i, record] of UNUSUAL_VALID.entries()) {
        await send(record.branch, record.value, i % 3);
        const key = `${record.branch}|${record.currency}`;
        const cell = truth.get(key) ?? { sum: 0n, count: 0 };
        cell.sum += record.cents;
        cell.count++;
        truth.set(key, cell);
      }
      // Valid deals keep coming after the last malformed record, on every partition.
      await waitFor(
        async () => {
          const ends = await topicEnds(brokers, topic);
          return expected.every((want) => (ends.get(want.partition) ?? 0) > want.offset + 1);
        },
        30_000,
        'valid deals after the malformed records on every partition',
        50,
      );
      await live.stop();
      await waitFor(() => fullyCommitted(brokers, topic, groupId), 60_000, 'all records committed');
    } finally {
      await sender.disconnect();
      await live.stop();
      await emulator.stop();
    }

    // Assess: each malformed record in rejected_transaction, where it was and why, with what it held.
    const rejected = await fixture.database.pool.query<{
      kafka_partition: number;
      kafka_offset: string;
      reason: string;
      raw_value: Buffer | null;
    }>('SELECT kafka_partition, kafka_offset, reason, raw_value FROM rejected_transaction WHERE topic = $1', [
      topic,
    ]);
    expect(rejected.rows).toHaveLength(MALFORMED.length);
    for (const want of expected) {
      const row = rejected.rows.find(
        (r) => r.kafka_partition === want.partition && Number(r.kafka_offset) === want.offset,
      );
      expect(row, want.kind).toBeDefined();
      if (typeof want.reason === 'string') expect(row?.reason, want.kind).toBe(want.reason);
      else expect(row?.reason, want.kind).toMatch(want.reason);
      expect(row?.raw_value ?? null, want.kind).toEqual(want.value);
    }
    // The valid records around them are applied exactly; every partition went past its bad records.
    for (const [key, cell] of live.truth) {
      const entry = truth.get(key) ?? { sum: 0n, count: 0 };
      truth.set(key, { sum: entry.sum + cell.sum, count: entry.count + cell.count });
    }
    const ends = await topicEnds(brokers, topic);
    for (const want of expected) expect(ends.get(want.partition)).toBeGreaterThan(want.offset + 1);
    await expectExactTotals(fixture.database.pool, truth, topic, ends);
    // Without a fault the mapping invoked and committed each record once, bad ones included.
    expect(emulator.stats.recordsCommitted).toBe([...ends.values()].reduce((sum, end) => sum + end, 0));
  });
});
