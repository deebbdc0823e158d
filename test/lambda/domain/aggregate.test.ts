import { describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../../lambda/domain/aggregate.js';
import { partitionKey } from '../../../lambda/domain/batch-aggregate.js';
import type { KafkaRecord } from '../../../lambda/domain/kafka-record.js';
import { DEFAULT_RULES } from '../../../lambda/domain/transaction.js';
import {
  cellsOf,
  dealRecords,
  expectedCells,
  generateDeals,
  T0,
  TOPIC,
} from '../../fixtures/deal-records.js';

const SOURCE = 'arn:aws:kafka:eu-central-1:123456789012:cluster/treasury-stream/7f3c9a52-2';

function record(partition: number, offset: number, value: string | undefined, timestamp = T0): KafkaRecord {
  return {
    topic: TOPIC,
    partition,
    offset,
    timestamp,
    key: Buffer.from('Kazan'),
    ...(value === undefined ? {} : { value: Buffer.from(value) }),
  };
}

describe('aggregateBatch', () => {
  it('sums and counts per branch × currency exactly as bigint arithmetic does', () => {
    // Prepare
    const deals = generateDeals(5_000, { seed: 21 });
    const records = dealRecords(deals);

    // Act
    const batch = aggregateBatch(SOURCE, records);

    // Assess
    expect(cellsOf(batch.deltas)).toEqual(expectedCells(deals));
    expect(batch.deltas).toHaveLength(16);
    expect(batch.recordCount).toBe(5_000);
    expect(batch.rejects).toEqual([]);
    expect(batch.skippedCount).toBe(0);
    expect(batch.eventSource).toBe(SOURCE);
  });

  it('sums amounts with decimals without binary rounding', () => {
    // Prepare
    const deals = [
      { branch: 'SPB', currency: 'USD', amount: 0.1 },
      { branch: 'SPB', currency: 'USD', amount: 0.2 },
      { branch: 'SPB', currency: 'USD', amount: 1.15 },
      { branch: 'SPB', currency: 'USD', amount: -0.05 },
      { branch: 'SPB', currency: 'EUR', amount: 999_999_999_999.99 },
      { branch: 'SPB', currency: 'EUR', amount: 999_999_999_999.99 },
      { branch: 'SPB', currency: 'EUR', amount: 0.01 },
    ];

    // Act
    const batch = aggregateBatch(SOURCE, dealRecords(deals, { partitions: 1 }));

    // Assess
    expect(
      batch.deltas.map((delta) => [delta.branch, delta.currency, delta.sum.toDecimal(), delta.count]),
    ).toEqual([
      ['SPB', 'EUR', '1999999999999.99', 3],
      ['SPB', 'USD', '1.40', 4],
    ]);
  });

  it('stays exact with amounts at the bound whose sums go far beyond 2^53 cents', () => {
    // Prepare
    const deals = generateDeals(2_000, {
      seed: 8,
      minAmount: 999_999_999_000,
      maxAmount: 1_000_000_000_000,
    });

    // Act
    const batch = aggregateBatch(SOURCE, dealRecords(deals));

    // Assess
    const cells = cellsOf(batch.deltas);
    expect([...cells.values()].every((cell) => cell.sum > 2n ** 53n)).toBe(true);
    expect(cells).toEqual(expectedCells(deals));
  });

  it('sets invalid records aside with their offset, bytes and reason, and sums the rest', () => {
    // Prepare
    const records = [
      record(0, 10, '{"branch":"Kazan","currency":"USD","amount":5}', T0),
      record(0, 11, undefined, T0 + 1),
      record(0, 12, '{"branch":"Kazan","currency":"usd","amount":5}', T0 + 2),
      record(1, 30, 'not json', T0 + 3),
      record(1, 31, '{"branch":"Kazan","currency":"USD","amount":1.005}', T0 + 4),
      record(1, 32, '{"branch":"Kazan","currency":"USD","amount":-2.5}', T0 + 5),
      record(1, 33, '', T0 + 6),
    ];

    // Act
    const batch = aggregateBatch(SOURCE, records);

    // Assess
    expect(batch.rejects.map(({ partition, offset, reason }) => ({ partition, offset, reason }))).toEqual([
      { partition: 0, offset: 11, reason: 'record has no value (tombstone)' },
      { partition: 0, offset: 12, reason: 'currency must be three uppercase letters (ISO 4217), got "usd"' },
      { partition: 1, offset: 30, reason: expect.stringMatching(/^value is not JSON: /) },
      { partition: 1, offset: 31, reason: 'amount 1.005 has more than 2 decimal places' },
      { partition: 1, offset: 33, reason: 'value is empty' },
    ]);
    expect(batch.rejects[0]).toEqual({
      topic: TOPIC,
      partition: 0,
      offset: 11,
      timestamp: T0 + 1,
      key: Buffer.from('Kazan'),
      value: undefined,
      reason: 'record has no value (tombstone)',
    });
    expect(batch.rejects[2]?.value).toEqual(Buffer.from('not json'));
    expect(batch.rejects[2]?.timestamp).toBe(T0 + 3);
    expect(cellsOf(batch.deltas)).toEqual(new Map([['Kazan|USD', { sum: 250n, count: 2 }]]));
    expect(batch.recordCount).toBe(7);
  });

  it('passes custom validation rules on', () => {
    // Prepare
    const records = [record(0, 0, '{"branch":"Kazan","currency":"USD","amount":5}')];

    // Act
    const batch = aggregateBatch(SOURCE, records, new Map(), { ...DEFAULT_RULES, maxBranchLength: 3 });

    // Assess
    expect(batch.rejects.map((reject) => reject.reason)).toEqual([
      'branch is 5 code points long, above the limit of 3',
    ]);
    expect(batch.deltas).toEqual([]);
  });

  it('gives each partition the range [first offset, last offset + 1), rejected records included', () => {
    // Prepare
    const records = [
      record(1, 100, '{"branch":"SPB","currency":"USD","amount":1}'),
      record(0, 7, '{"branch":"SPB","currency":"USD","amount":1}'),
      record(1, 101, 'bad'),
      record(0, 8, '{"branch":"SPB","currency":"USD","amount":1}'),
      record(1, 104, '{"branch":"SPB","currency":"USD","amount":1}'),
      record(0, 9, undefined),
    ];

    // Act
    const batch = aggregateBatch(SOURCE, records);

    // Assess
    expect(batch.ranges).toEqual([
      { topic: TOPIC, partition: 0, fromOffset: 7, nextOffset: 10 },
      { topic: TOPIC, partition: 1, fromOffset: 100, nextOffset: 105 },
    ]);
  });

  it('sorts ranges by topic, then by partition as a number', () => {
    // Prepare
    const records: KafkaRecord[] = [
      { topic: 'transaction', partition: 10, offset: 1, timestamp: T0 },
      { topic: 'transaction', partition: 2, offset: 1, timestamp: T0 },
      { topic: 'audit', partition: 1, offset: 5, timestamp: T0 },
      { topic: 'transaction', partition: 0, offset: 3, timestamp: T0 },
    ];

    // Act
    const batch = aggregateBatch(SOURCE, records);

    // Assess
    expect(batch.ranges.map((range) => partitionKey(range.topic, range.partition))).toEqual([
      'audit-1',
      'transaction-0',
      'transaction-2',
      'transaction-10',
    ]);
  });

  it('sorts deltas by branch, then by currency', () => {
    // Prepare
    const deals = [
      { branch: 'Surgut', currency: 'USD', amount: 1 },
      { branch: 'Kazan', currency: 'USD', amount: 1 },
      { branch: 'SPB', currency: 'RUB', amount: 1 },
      { branch: 'Kazan', currency: 'EUR', amount: 1 },
      { branch: 'Novosibirsk', currency: 'GBP', amount: 1 },
      { branch: 'SPB', currency: 'EUR', amount: 1 },
      { branch: 'Surgut', currency: 'EUR', amount: 1 },
    ];

    // Act
    const batch = aggregateBatch(SOURCE, dealRecords(deals));

    // Assess
    expect(batch.deltas.map((delta) => `${delta.branch} ${delta.currency}`)).toEqual([
      'Kazan EUR',
      'Kazan USD',
      'Novosibirsk GBP',
      'SPB EUR',
      'SPB RUB',
      'Surgut EUR',
      'Surgut USD',
    ]);
  });

  it('skips and counts records below a checkpoint and starts the range at the checkpoint', () => {
    // Prepare
    const deals = generateDeals(30, { seed: 4 });
    const records = dealRecords(deals);
    const checkpoints = new Map([
      [partitionKey(TOPIC, 0), 4],
      [partitionKey(TOPIC, 1), 0],
    ]);

    // Act
    const batch = aggregateBatch(SOURCE, records, checkpoints);

    // Assess
    const applied = deals.filter((_, i) => i % 3 !== 0 || i / 3 >= 4);
    expect(batch.skippedCount).toBe(4);
    expect(batch.recordCount).toBe(26);
    expect(batch.ranges).toEqual([
      { topic: TOPIC, partition: 0, fromOffset: 4, nextOffset: 10 },
      { topic: TOPIC, partition: 1, fromOffset: 0, nextOffset: 10 },
      { topic: TOPIC, partition: 2, fromOffset: 0, nextOffset: 10 },
    ]);
    expect(cellsOf(batch.deltas)).toEqual(expectedCells(applied));
  });

  it('leaves out a partition whose records are all below its checkpoint', () => {
    // Prepare
    const deals = generateDeals(30, { seed: 5 });
    const records = dealRecords(deals);
    const checkpoints = new Map([
      [partitionKey(TOPIC, 1), 10],
      [partitionKey(TOPIC, 2), 250],
    ]);

    // Act
    const batch = aggregateBatch(SOURCE, records, checkpoints);

    // Assess
    expect(batch.ranges).toEqual([{ topic: TOPIC, partition: 0, fromOffset: 0, nextOffset: 10 }]);
    expect(batch.skippedCount).toBe(20);
    expect(batch.recordCount).toBe(10);
    expect(cellsOf(batch.deltas)).toEqual(expectedCells(deals.filter((_, i) => i % 3 === 0)));
  });

  it('skips rejected records below a checkpoint too, so that they are not set aside twice', () => {
    // Prepare
    const records = [record(0, 5, 'bad'), record(0, 6, undefined), record(0, 7, 'worse')];

    // Act
    const batch = aggregateBatch(SOURCE, records, new Map([[partitionKey(TOPIC, 0), 7]]));

    // Assess
    expect(batch.rejects.map((reject) => reject.offset)).toEqual([7]);
    expect(batch.ranges).toEqual([{ topic: TOPIC, partition: 0, fromOffset: 7, nextOffset: 8 }]);
    expect(batch.skippedCount).toBe(2);
  });

  it('applies a checkpoint only to its own topic-partition', () => {
    // Prepare
    const records: KafkaRecord[] = [
      { topic: 'transaction', partition: 1, offset: 3, timestamp: T0 },
      { topic: 'audit', partition: 1, offset: 3, timestamp: T0 },
      { topic: 'transaction', partition: 2, offset: 3, timestamp: T0 },
    ];

    // Act
    const batch = aggregateBatch(SOURCE, records, new Map([[partitionKey('transaction', 1), 100]]));

    // Assess
    expect(batch.skippedCount).toBe(1);
    expect(batch.ranges.map((range) => partitionKey(range.topic, range.partition))).toEqual([
      'audit-1',
      'transaction-2',
    ]);
  });

  it('applies the record at exactly the checkpoint: it is the next offset to apply', () => {
    // Prepare
    const records = [record(0, 41, '{"branch":"SPB","currency":"USD","amount":1}')];

    // Act
    const batch = aggregateBatch(SOURCE, records, new Map([[partitionKey(TOPIC, 0), 41]]));

    // Assess
    expect(batch.skippedCount).toBe(0);
    expect(batch.ranges).toEqual([{ topic: TOPIC, partition: 0, fromOffset: 41, nextOffset: 42 }]);
  });

  it('spans the timestamps of the records counted, skipped ones left out', () => {
    // Prepare
    const records = [
      record(0, 0, 'bad', T0 + 500),
      record(0, 1, 'bad', T0 + 100),
      record(0, 2, 'bad', T0 + 300),
      record(1, 0, 'bad', T0 + 900),
      record(1, 1, 'bad', T0 + 200),
    ];

    // Act
    const batch = aggregateBatch(SOURCE, records, new Map([[partitionKey(TOPIC, 0), 2]]));

    // Assess
    expect(batch.firstRecordTime).toBe(T0 + 200);
    expect(batch.lastRecordTime).toBe(T0 + 900);
  });

  it('aggregates an empty batch to nothing', () => {
    // Act
    const batch = aggregateBatch(SOURCE, []);

    // Assess
    expect(batch).toEqual({
      eventSource: SOURCE,
      ranges: [],
      deltas: [],
      rejects: [],
      recordCount: 0,
      skippedCount: 0,
      firstRecordTime: undefined,
      lastRecordTime: undefined,
      recordTimeHistogram: [],
    });
  });

  it('counts record timestamps in 5 ms buckets from the oldest record', () => {
    // Prepare: timestamps out of order, as producers' clocks and partitions allow.
    const at = (offset: number, timestamp: number) => ({ topic: 't', partition: 0, offset, timestamp });

    // Act
    const batch = aggregateBatch(SOURCE, [
      at(0, 1_012),
      at(1, 1_000),
      at(2, 1_004),
      at(3, 1_005),
      at(4, 1_019),
    ]);

    // Assess
    expect(batch.firstRecordTime).toBe(1_000);
    expect(batch.recordTimeHistogram).toEqual([2, 1, 1, 1]);
  });
});
