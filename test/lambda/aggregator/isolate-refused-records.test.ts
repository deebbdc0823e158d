import type { MSKEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Refusal } from '../../../lambda/aggregator/position-store.js';
import { processBatch } from '../../../lambda/aggregator/process-batch.js';
import { type BatchAggregate, partitionKey } from '../../../lambda/domain/batch-aggregate.js';
import { encodeMskEvent, type KafkaRecord } from '../../../lambda/domain/kafka-record.js';
import { type Deal, dealRecords, expectedCells, generateDeals } from '../../fixtures/deal-records.js';
import { InMemoryPositionStore } from '../../fixtures/in-memory-position-store.js';

const SOURCE = 'arn:aws:kafka:eu-central-1:123456789012:cluster/treasury-stream/7f3c9a52-2';

function eventOf(records: readonly KafkaRecord[]): MSKEvent {
  return encodeMskEvent(records, { eventSourceArn: SOURCE, bootstrapServers: 'b-1:9098' });
}

const CHECK_VIOLATION: Refusal = {
  status: 'refused',
  sqlstate: '23514',
  message: 'new row for relation "currency_position" violates check constraint "no_poison"',
};

/** A store that refuses every batch with a deal of branch Poison, as a CHECK constraint would. */
function refusingPoison(): InMemoryPositionStore {
  return new InMemoryPositionStore((batch) =>
    batch.deltas.some((delta) => delta.branch === 'Poison') ? CHECK_VIOLATION : undefined,
  );
}

/** Each partition's applied ranges in the order they were applied: [fromOffset, nextOffset). */
function appliedRanges(store: InMemoryPositionStore, refused: (b: BatchAggregate) => boolean) {
  const ranges = new Map<string, [number, number][]>();
  for (const batch of store.calls.filter((call) => !refused(call))) {
    for (const range of batch.ranges) {
      const key = partitionKey(range.topic, range.partition);
      ranges.set(key, [...(ranges.get(key) ?? []), [range.fromOffset, range.nextOffset]]);
    }
  }
  return ranges;
}

const poisonIn = (batch: BatchAggregate) => batch.deltas.some((delta) => delta.branch === 'Poison');

describe('a batch the database refuses', () => {
  it('is applied in parts: the refused record set aside with the SQLSTATE, the others applied, the checkpoints exact', async () => {
    // Prepare: 300 deals over three partitions; the one at index 151 (partition 1, offset 50) is poisoned.
    const deals: Deal[] = generateDeals(300, { seed: 41 });
    deals[151] = { ...deals[151], branch: 'Poison' };
    const records = dealRecords(deals);
    const store = refusingPoison();

    // Act
    const report = await processBatch(eventOf(records), store);

    // Assess
    const valid = deals.filter((_, i) => i !== 151);
    expect(store.positions).toEqual(expectedCells(valid));
    expect([...store.rejected.values()].map((r) => [r.partition, r.offset, r.reason])).toEqual([
      [
        1,
        50,
        'the database refused this record: SQLSTATE 23514: new row for relation "currency_position" violates check constraint "no_poison"',
      ],
    ]);
    expect(store.rejected.get('transaction-1@50')?.value).toEqual(records[151]?.value);
    expect(report).toMatchObject({ received: 300, applied: 299, rejected: 1, skipped: 0 });
    expect(report.deltas.reduce((n, d) => n + d.count, 0)).toBe(299);
    expect(report.attempts).toBe(store.calls.length);
    // The parts tile each partition's offsets: each starts where the one before ended.
    for (const [key, ranges] of appliedRanges(store, poisonIn)) {
      const tiled = ranges.every(([from], i) => i === 0 || from === ranges[i - 1]?.[1]);
      expect({ key, tiled, first: ranges[0]?.[0], last: ranges.at(-1)?.[1] }).toEqual({
        key,
        tiled: true,
        first: 0,
        last: 100,
      });
    }
    expect([...store.checkpoints.values()]).toEqual([100, 100, 100]);
  });

  it('isolates several refused records in a number of round trips that grows with their logarithm', async () => {
    // Prepare
    const deals: Deal[] = generateDeals(1_024, { seed: 42 });
    const poisoned = [3, 200, 201, 777, 1_000];
    for (const i of poisoned) deals[i] = { ...deals[i], branch: 'Poison' };
    const store = refusingPoison();

    // Act
    const report = await processBatch(eventOf(dealRecords(deals, { partitions: 1 })), store);

    // Assess
    expect([...store.rejected.values()].map((r) => r.offset)).toEqual(poisoned);
    expect(store.positions).toEqual(expectedCells(deals.filter((_, i) => !poisoned.includes(i))));
    expect(report).toMatchObject({ applied: 1_024 - 5, rejected: 5 });
    expect(report.attempts).toBeLessThanOrEqual(1 + 2 * poisoned.length * Math.log2(1_024));
  });

  it('drops the records an earlier delivery applied when the refusal came before the checkpoints were looked at', async () => {
    // Prepare: the first delivery applied partitions 0 and 2 up to offset 60 and partition 1 up to 30
    // (a crash before the mapping committed its offsets); the redelivery holds a poisoned deal.
    const deals: Deal[] = generateDeals(300, { seed: 47 });
    deals[250] = { ...deals[250], branch: 'Poison' };
    const records = dealRecords(deals);
    const store = refusingPoison();
    await processBatch(eventOf(records.filter((r) => r.offset < (r.partition === 1 ? 30 : 60))), store);

    // Act
    const report = await processBatch(eventOf(records), store);

    // Assess
    expect(store.positions).toEqual(expectedCells(deals.filter((_, i) => i !== 250)));
    expect([...store.rejected.values()].map((r) => [r.partition, r.offset])).toEqual([[1, 83]]);
    expect(report).toMatchObject({ received: 300, applied: 149, rejected: 1, skipped: 150 });
    expect([...store.checkpoints.values()]).toEqual([100, 100, 100]);
  });

  it('finds every record of a refused redelivery applied, and applies nothing', async () => {
    // Prepare
    const deals: Deal[] = generateDeals(30, { seed: 48 });
    const records = dealRecords(deals);
    const store = new InMemoryPositionStore();
    await processBatch(eventOf(records), store);
    // Every part with a deal is refused before its checkpoints are looked at.
    const refusingAll = new InMemoryPositionStore((batch) =>
      batch.deltas.length > 0 ? CHECK_VIOLATION : undefined,
    );
    for (const [key, next] of store.checkpoints) refusingAll.checkpoints.set(key, next);

    // Act
    const report = await processBatch(eventOf(records), refusingAll);

    // Assess: the single records' set-aside parts conflict, which shows them applied before.
    expect(refusingAll.rejected.size).toBe(0);
    expect(report).toMatchObject({ applied: 0, rejected: 0, skipped: 30, batchId: undefined });
  });

  it('keeps offsets a compacted topic leaves out inside the parts, not as gaps', async () => {
    // Prepare: offsets 0, 2, 5, 9, 14, 20 of one partition; the deal at 9 is poisoned.
    const deals: Deal[] = generateDeals(6, { seed: 43 });
    deals[3] = { ...deals[3], branch: 'Poison' };
    const offsets = [0, 2, 5, 9, 14, 20];
    const records = dealRecords(deals, { partitions: 1 }).map((r, i) => ({ ...r, offset: offsets[i] ?? 0 }));
    const store = refusingPoison();

    // Act
    await processBatch(eventOf(records), store);

    // Assess
    const ranges = appliedRanges(store, poisonIn).get('transaction-0') ?? [];
    expect(ranges[0]?.[0]).toBe(0);
    expect(ranges.every(([from], i) => i === 0 || from === ranges[i - 1]?.[1])).toBe(true);
    expect(ranges.at(-1)?.[1]).toBe(21);
    expect([...store.rejected.values()].map((r) => r.offset)).toEqual([9]);
  });

  it('sets aside a record whose rejection row the database refuses, with the SQLSTATE as its reason', async () => {
    // Prepare: the database refuses the validator's reason for empty values (a stand-in for any text
    // it cannot store), not the reasons the aggregator gives refused records.
    const records = dealRecords(generateDeals(10, { seed: 44 }), { partitions: 1 });
    const empty = { ...records[4], value: Buffer.alloc(0) } as KafkaRecord;
    records[4] = empty;
    const store = new InMemoryPositionStore((batch) =>
      batch.rejects.some((r) => r.reason === 'value is empty')
        ? { status: 'refused', sqlstate: '22021', message: 'invalid byte sequence for encoding "UTF8": 0x00' }
        : undefined,
    );

    // Act
    const report = await processBatch(eventOf(records), store);

    // Assess
    expect([...store.rejected.values()].map((r) => [r.offset, r.reason])).toEqual([
      [
        4,
        'the database refused this record: SQLSTATE 22021: invalid byte sequence for encoding "UTF8": 0x00',
      ],
    ]);
    expect(report).toMatchObject({ applied: 9, rejected: 1 });
  });

  it('throws when the database refuses to set the record aside too, so that the batch is retried', async () => {
    // Prepare: every batch with a reject is refused, as when rejected_transaction itself is broken.
    const records = dealRecords(generateDeals(10, { seed: 45 }), { partitions: 1 });
    records[4] = { ...records[4], value: Buffer.from('not json') } as KafkaRecord;
    const store = new InMemoryPositionStore((batch) =>
      batch.rejects.length > 0 ? { status: 'refused', sqlstate: '23502', message: 'null value' } : undefined,
    );

    // Act
    const attempt = processBatch(eventOf(records), store);

    // Assess
    await expect(attempt).rejects.toThrow(
      /refused transaction-0@4 \(SQLSTATE 23502\) and refused to set it aside too \(SQLSTATE 23502\)/,
    );
    expect(store.rejected.size).toBe(0);
  });

  it('escapes and cuts a database message that quotes input', async () => {
    // Prepare
    const records = dealRecords(generateDeals(2, { seed: 46 }), { partitions: 1 });
    const store = new InMemoryPositionStore((batch) =>
      batch.recordCount > 1 || batch.rejects.length === 0
        ? { status: 'refused', sqlstate: '22P02', message: `bad input "\u0000${'x'.repeat(500)}"` }
        : undefined,
    );

    // Act
    await processBatch(eventOf(records), store);

    // Assess
    const reasons = [...store.rejected.values()].map((r) => r.reason);
    expect(reasons).toHaveLength(2);
    for (const reason of reasons) {
      expect(reason).toMatch(/^the database refused this record: SQLSTATE 22P02: bad input "\\u0000x+…$/);
      expect(reason.length).toBeLessThan(300);
    }
  });
});
