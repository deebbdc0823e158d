import { describe, expect, it } from 'vitest';
import { BENCH_EPOCH_MS, producerRecords } from '../../bench/producer-records.js';
import { TransactionGenerator } from '../../lambda/domain/generator.js';
import { toMessage } from '../../lambda/producer/publish.js';

describe('producerRecords', () => {
  it('makes consecutive records whose key and value are what the producer sends', () => {
    // Prepare
    const run = {
      topic: 'transaction',
      partition: 2,
      firstOffset: 40,
      count: 3,
      timestampOf: (i: number) => BENCH_EPOCH_MS + 10 * i,
    };

    // Act
    const records = producerRecords(new TransactionGenerator({ seed: 5, idPrefix: 'p' }), run);

    // Assess
    const twin = new TransactionGenerator({ seed: 5, idPrefix: 'p' });
    expect(records.map((r) => [r.partition, r.offset, r.timestamp])).toEqual([
      [2, 40, BENCH_EPOCH_MS],
      [2, 41, BENCH_EPOCH_MS + 10],
      [2, 42, BENCH_EPOCH_MS + 20],
    ]);
    for (const record of records) {
      const message = toMessage(twin.next(record.timestamp));
      expect(record.key.toString()).toBe(message.key);
      expect(record.value.toString()).toBe(message.value);
    }
  });
});
