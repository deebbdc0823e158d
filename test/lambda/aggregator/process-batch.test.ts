import type { MSKEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { OffsetGapError } from '../../../lambda/aggregator/offset-gap.js';
import type { PositionStore } from '../../../lambda/aggregator/position-store.js';
import { processBatch } from '../../../lambda/aggregator/process-batch.js';
import { type BatchAggregate, partitionKey } from '../../../lambda/domain/batch-aggregate.js';
import { encodeMskEvent, type KafkaRecord } from '../../../lambda/domain/kafka-record.js';
import { type Deal, dealRecords, expectedCells, generateDeals, TOPIC } from '../../fixtures/deal-records.js';
import { InMemoryPositionStore } from '../../fixtures/in-memory-position-store.js';
import { loadMskEvent } from '../../fixtures/load-msk-event.js';

const SOURCE = 'arn:aws:kafka:eu-central-1:123456789012:cluster/treasury-stream/7f3c9a52-2';
const BROKERS = 'b-1.treasurystream.a1bc2d.c2.kafka.eu-central-1.amazonaws.com:9098';

function eventOf(records: readonly KafkaRecord[]): MSKEvent {
  return encodeMskEvent(records, { eventSourceArn: SOURCE, bootstrapServers: BROKERS });
}

/** The records of the given partitions with offsets in [from, to). */
function slice(
  records: readonly KafkaRecord[],
  from: number,
  to: number,
  partitions = [0, 1, 2],
): KafkaRecord[] {
  return records.filter(
    (record) => partitions.includes(record.partition) && record.offset >= from && record.offset < to,
  );
}

/** Deals in the order dealRecords spreads them: index i is partition i % 3, offset ⌊i / 3⌋. */
function dealsAt(deals: readonly Deal[], select: (partition: number, offset: number) => boolean): Deal[] {
  return deals.filter((_, i) => select(i % 3, Math.floor(i / 3)));
}

describe('processBatch', () => {
  it('applies each event of a steady stream in one call to the store', async () => {
    // Prepare
    const deals = generateDeals(60, { seed: 31 });
    const records = dealRecords(deals);
    const store = new InMemoryPositionStore();
    const events = [
      eventOf(slice(records, 0, 7)),
      eventOf(slice(records, 7, 14)),
      eventOf(slice(records, 14, 20)),
    ];

    // Act
    const reports = [];
    for (const event of events) reports.push(await processBatch(event, store));

    // Assess
    expect(store.calls).toHaveLength(3);
    expect(reports.map((report) => report.attempts)).toEqual([1, 1, 1]);
    expect(reports.map((report) => report.batchId)).toEqual([1, 2, 3]);
    expect(reports.map((report) => report.applied)).toEqual([21, 21, 18]);
    expect(store.positions).toEqual(expectedCells(deals));
    expect(store.checkpoints).toEqual(
      new Map([0, 1, 2].map((partition) => [`${SOURCE}|${partitionKey(TOPIC, partition)}`, 20])),
    );
  });

  it('reports what it did with the event', async () => {
    // Prepare
    const deals = generateDeals(9, { seed: 2 });
    deals[4] = { branch: 'Kazan', currency: 'usd', amount: 1 };
    const store = new InMemoryPositionStore();

    // Act
    const report = await processBatch(eventOf(dealRecords(deals)), store);

    // Assess
    expect(report).toEqual({
      received: 9,
      applied: 8,
      rejected: 1,
      skipped: 0,
      batchId: 1,
      committedAt: expect.any(Date),
      deltas: store.calls[0]?.deltas,
      realizedInBase: '0.00',
      positionResults: [],
      bankTotalInBase: null,
      limitBreaches: [],
      openBreaches: 0,
      gaps: [],
      attempts: 1,
    });
    expect(
      store.calls[0]?.rejects.map(({ partition, offset, reason }) => ({ partition, offset, reason })),
    ).toEqual([
      { partition: 1, offset: 1, reason: 'currency must be three uppercase letters (ISO 4217), got "usd"' },
    ]);
  });

  it('applies the AWS fixture: valid deals summed, the tombstone, empty value and bad JSON set aside', async () => {
    // Prepare
    const event = await loadMskEvent();
    const store = new InMemoryPositionStore();

    // Act
    const report = await processBatch(event, store);

    // Assess
    expect(report).toMatchObject({ received: 6, applied: 3, rejected: 3, skipped: 0, attempts: 1 });
    expect(store.positions).toEqual(
      new Map([
        ['Kazan|USD', { sum: 4250n, count: 1 }],
        ['Novosibirsk|RUB', { sum: 10n, count: 1 }],
        ['SPB|EUR', { sum: -1700n, count: 1 }],
      ]),
    );
    expect([...store.rejected.keys()]).toEqual(['transaction-0@17', 'transaction-2@40', 'transaction-2@42']);
    expect(store.checkpoints).toEqual(
      new Map([
        [`${event.eventSourceArn}|transaction-0`, 18],
        [`${event.eventSourceArn}|transaction-2`, 43],
      ]),
    );
  });

  it('does nothing the second time the same event is delivered', async () => {
    // Prepare
    const deals = generateDeals(30, { seed: 32 });
    deals[7] = { branch: 'SPB', currency: 'EUR', amount: 'ten' };
    const event = eventOf(dealRecords(deals));
    const store = new InMemoryPositionStore();
    await processBatch(event, store);
    const positionsAfterFirst = new Map(store.positions);
    const rejectedAfterFirst = new Map(store.rejected);

    // Act
    const report = await processBatch(event, store);

    // Assess
    expect(report).toEqual({
      received: 30,
      applied: 0,
      rejected: 0,
      skipped: 30,
      batchId: undefined,
      committedAt: undefined,
      deltas: [],
      realizedInBase: undefined,
      positionResults: [],
      bankTotalInBase: undefined,
      limitBreaches: [],
      openBreaches: undefined,
      gaps: [],
      attempts: 2,
    });
    expect(store.calls).toHaveLength(2);
    expect(store.positions).toEqual(positionsAfterFirst);
    expect(store.rejected).toEqual(rejectedAfterFirst);
    expect(store.positions).toEqual(expectedCells(deals.filter((_, i) => i !== 7)));
  });

  it('applies only the new offsets of an overlapping event with other boundaries, in two calls', async () => {
    // Prepare: the first event holds offsets [0, 10) of partitions 0 and 1; the second, redelivered with
    // other boundaries, [5, 20) of all three, so partition 2 is new to the store.
    const deals = generateDeals(60, { seed: 33 });
    deals[16] = { branch: 'Kazan', currency: 'USD', amount: 0.001 };
    deals[58] = { branch: 'Kazan', currency: 'USD' };
    const records = dealRecords(deals);
    const store = new InMemoryPositionStore();
    await processBatch(eventOf(slice(records, 0, 10, [0, 1])), store);
    const callsBefore = store.calls.length;

    // Act
    const report = await processBatch(eventOf(slice(records, 5, 20)), store);

    // Assess
    const calls = store.calls.slice(callsBefore);
    expect(calls).toHaveLength(2);
    expect(report.attempts).toBe(2);
    expect(calls[1]?.ranges).toEqual([
      { topic: TOPIC, partition: 0, fromOffset: 10, nextOffset: 20 },
      { topic: TOPIC, partition: 1, fromOffset: 10, nextOffset: 20 },
      { topic: TOPIC, partition: 2, fromOffset: 5, nextOffset: 20 },
    ]);
    expect(calls[1]?.rejects.map((reject) => reject.offset)).toEqual([19]);
    expect(report).toMatchObject({ received: 45, skipped: 10, applied: 34, rejected: 1 });
    const applied = dealsAt(deals, (partition, offset) => partition < 2 || offset >= 5);
    expect(store.positions).toEqual(
      expectedCells(applied.filter((deal) => deal !== deals[16] && deal !== deals[58])),
    );
    expect([...store.rejected.keys()].sort()).toEqual(['transaction-1@19', 'transaction-1@5']);
  });

  it('applies an event of invalid records only, so that its offsets are done', async () => {
    // Prepare
    const records: KafkaRecord[] = [
      { topic: TOPIC, partition: 1, offset: 3, timestamp: 0 },
      { topic: TOPIC, partition: 1, offset: 4, timestamp: 0, value: Buffer.from('[]') },
    ];
    const store = new InMemoryPositionStore();

    // Act
    const report = await processBatch(eventOf(records), store);

    // Assess
    expect(report).toMatchObject({ received: 2, applied: 0, rejected: 2, batchId: 1, deltas: [] });
    expect(store.checkpoints.get(`${SOURCE}|transaction-1`)).toBe(5);
  });

  it('does not call the store for an event without records', async () => {
    // Prepare
    const store = new InMemoryPositionStore();

    // Act
    const report = await processBatch(eventOf([]), store);

    // Assess
    expect(store.calls).toEqual([]);
    expect(report).toMatchObject({ received: 0, batchId: undefined, attempts: 1 });
  });

  it('throws when the checkpoints keep moving, as when another consumer applies the same partition', async () => {
    // Prepare
    const calls: BatchAggregate[] = [];
    const racing: PositionStore = {
      async applyBatch(batch) {
        calls.push(batch);
        const [range] = batch.ranges;
        if (range === undefined) throw new Error('a batch without ranges reached the store');
        return {
          status: 'conflict',
          checkpoints: new Map([[partitionKey(range.topic, range.partition), range.fromOffset + 1]]),
        };
      },
    };
    const event = eventOf(dealRecords(generateDeals(10, { seed: 34 }), { partitions: 1 }));

    // Act
    const processing = processBatch(event, racing);

    // Assess
    await expect(processing).rejects.toThrow(
      'batch not applied after 3 attempts: checkpoints kept moving, so another consumer is applying the same ' +
        'partitions at the same time',
    );
    expect(calls.map((batch) => batch.ranges[0]?.fromOffset)).toEqual([0, 1, 2]);
  });

  it('lets an error of the store through, so that the batch is retried', async () => {
    // Prepare
    const failure = new Error('Connection terminated unexpectedly');
    let calls = 0;
    const failing: PositionStore = {
      async applyBatch() {
        calls++;
        throw failure;
      },
    };
    const event = eventOf(dealRecords(generateDeals(10, { seed: 35 })));

    // Act
    const processing = processBatch(event, failing);

    // Assess
    await expect(processing).rejects.toBe(failure);
    expect(calls).toBe(1);
  });

  it('lets an error of the store through on the second attempt after a conflict', async () => {
    // Prepare
    const failure = new Error('deadlock detected');
    const calls: BatchAggregate[] = [];
    const flaky: PositionStore = {
      async applyBatch(batch) {
        calls.push(batch);
        if (calls.length > 1) throw failure;
        const checkpoints = batch.ranges.map(
          (range) => [partitionKey(range.topic, range.partition), 3] as const,
        );
        return { status: 'conflict', checkpoints: new Map(checkpoints) };
      },
    };
    const event = eventOf(dealRecords(generateDeals(30, { seed: 36 })));

    // Act
    const processing = processBatch(event, flaky);

    // Assess
    await expect(processing).rejects.toBe(failure);
    expect(calls.map((batch) => batch.ranges.map((range) => range.fromOffset))).toEqual([
      [0, 0, 0],
      [3, 3, 3],
    ]);
  });

  it('refuses an event that starts past a checkpoint, naming partition, checkpoint and first offset, and writes nothing', async () => {
    // Prepare: partition 1 applied up to 5, then an event from 9 (offsets 5–8 missing, as after a restore).
    const deals = generateDeals(60, { seed: 37 });
    const records = dealRecords(deals);
    const store = new InMemoryPositionStore();
    await processBatch(eventOf(slice(records, 0, 5)), store);
    const before = new Map(store.positions);

    // Act
    const attempt = processBatch(eventOf(slice(records, 9, 12, [1])), store);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(OffsetGapError);
    await expect(attempt).rejects.toMatchObject({
      name: 'OffsetGapError',
      gaps: [{ topic: TOPIC, partition: 1, checkpoint: 5, firstOffset: 9 }],
      message: expect.stringContaining(
        `partition ${TOPIC}-1: checkpoint 5, batch starts at 9 (4 records missing)`,
      ),
    });
    expect(store.positions).toEqual(before);
    expect(store.checkpoints.get(`${SOURCE}|${partitionKey(TOPIC, 1)}`)).toBe(5);
  });

  it('with gaps accepted, applies the event over the gap and names it in the report', async () => {
    // Prepare
    const deals = generateDeals(60, { seed: 41 });
    const records = dealRecords(deals);
    const store = new InMemoryPositionStore(undefined, 'accept');
    await processBatch(eventOf(slice(records, 0, 5)), store);

    // Act
    const report = await processBatch(eventOf(slice(records, 9, 12, [1])), store);

    // Assess
    expect(report.gaps).toEqual([{ topic: TOPIC, partition: 1, checkpoint: 5, firstOffset: 9 }]);
    expect(report.applied).toBe(3);
    expect(store.checkpoints.get(`${SOURCE}|${partitionKey(TOPIC, 1)}`)).toBe(12);
  });

  it('passes custom validation rules on to the aggregation', async () => {
    // Prepare
    const store = new InMemoryPositionStore();
    const deals = [{ branch: 'Novosibirsk', currency: 'RUB', amount: 1 }];

    // Act
    const report = await processBatch(eventOf(dealRecords(deals)), store, {
      maxBranchLength: 5,
      maxAbsAmount: 100,
      maxValueBytes: 1_000,
      maxIdLength: 10,
      maxBaseAmount: 1_000_000,
    });

    // Assess
    expect(report).toMatchObject({ applied: 0, rejected: 1 });
    expect([...store.rejected.values()].map((reject) => reject.reason)).toEqual([
      'branch is 11 code points long, above the limit of 5',
    ]);
  });
});
