import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { type BatchLimits, PartitionLane } from '../../../local/esm/partition-lane.js';

const LIMITS: BatchLimits = { batchSize: 3, windowMs: 2_000, maxBytes: 6 * 1024 * 1024 };

function message(offset: number, valueBytes = 30): KafkaMessage {
  return {
    key: Buffer.from('k'),
    value: Buffer.alloc(valueBytes, 0x61),
    offset: String(offset),
    timestamp: '0',
    attributes: 0,
    headers: {},
  } as KafkaMessage;
}

function lane(limits: Partial<BatchLimits> = {}): PartitionLane {
  return new PartitionLane('transaction', 0, { ...LIMITS, ...limits });
}

describe('PartitionLane: when a batch is due', () => {
  it('has nothing due while empty', () => {
    // Act and Assess
    expect(lane().dueIn(0)).toBeUndefined();
  });

  it('waits for the batching window from the oldest record, not the newest', () => {
    // Prepare
    const partition = lane();

    // Act
    partition.push(message(0), 1_000);
    partition.push(message(1), 2_500);

    // Assess
    expect(partition.dueIn(1_000)).toBe(2_000);
    expect(partition.dueIn(2_500)).toBe(500);
    expect(partition.dueIn(3_000)).toBe(0);
    expect(partition.dueIn(9_000)).toBe(0);
  });

  it('is due at once when the batch size is reached', () => {
    // Prepare
    const partition = lane();

    // Act
    for (const offset of [0, 1, 2]) partition.push(message(offset), 1_000);

    // Assess
    expect(partition.dueIn(1_000)).toBe(0);
  });

  it('is due at once when the buffered bytes reach the payload limit', () => {
    // Prepare: each record is 4 (key) + 40 (value) + 160 (envelope) = 204 bytes in the event.
    const partition = lane({ batchSize: 100, maxBytes: 400 });

    // Act
    partition.push(message(0), 0);
    const beforeLimit = partition.dueIn(0);
    partition.push(message(1), 0);

    // Assess
    expect(beforeLimit).toBe(2_000);
    expect(partition.bytes).toBe(408);
    expect(partition.dueIn(0)).toBe(0);
  });
});

describe('PartitionLane: what a batch holds', () => {
  it('takes at most the batch size, in offset order', () => {
    // Prepare
    const partition = lane();
    for (const offset of [0, 1, 2, 3, 4]) partition.push(message(offset), 0);

    // Act
    const batch = partition.peekBatch();

    // Assess
    expect(batch.map((record) => record.offset)).toEqual([0, 1, 2]);
  });

  it('stops before the record that would take the event over the payload limit', () => {
    // Prepare
    const partition = lane({ batchSize: 100, maxBytes: 500 });
    for (const offset of [0, 1, 2]) partition.push(message(offset), 0);

    // Act
    const batch = partition.peekBatch();

    // Assess: two records are 408 bytes, a third would make 612.
    expect(batch.map((record) => record.offset)).toEqual([0, 1]);
  });

  it('still takes one record that alone exceeds the limit, so that it is invoked and not stuck', () => {
    // Prepare
    const partition = lane({ batchSize: 100, maxBytes: 100 });
    partition.push(message(0, 300), 0);

    // Act
    const batch = partition.peekBatch();

    // Assess
    expect(batch).toHaveLength(1);
  });

  it('counts key and value as base64 in the event', () => {
    // Prepare: 3 bytes of key → 4, 4 bytes of value → 8, plus the 160-byte envelope.
    const partition = lane();

    // Act
    partition.push({ ...message(0), key: Buffer.from('abc'), value: Buffer.from('abcd') }, 0);

    // Assess
    expect(partition.bytes).toBe(172);
  });
});

describe('PartitionLane: after an invocation', () => {
  it('keeps a batch until release, so a failed invocation retries the same records', () => {
    // Prepare
    const partition = lane();
    for (const offset of [0, 1, 2, 3]) partition.push(message(offset), 0);

    // Act
    const first = partition.peekBatch();
    const again = partition.peekBatch();

    // Assess
    expect(again).toEqual(first);
    expect(partition.size).toBe(4);
  });

  it('drops the released records and starts the window of the rest at the release', () => {
    // Prepare
    const partition = lane();
    for (const offset of [0, 1, 2, 3]) partition.push(message(offset), 0);

    // Act
    partition.release(3, 5_000);

    // Assess
    expect(partition.size).toBe(1);
    expect(partition.peekBatch().map((record) => record.offset)).toEqual([3]);
    expect(partition.bytes).toBe(204);
    expect(partition.dueIn(5_000)).toBe(2_000);
  });

  it('has nothing due once every record is released', () => {
    // Prepare
    const partition = lane();
    partition.push(message(0), 0);

    // Act
    partition.release(1, 100);

    // Assess
    expect(partition.dueIn(100)).toBeUndefined();
    expect(partition.bytes).toBe(0);
  });

  it('drops refetched records below the next expected offset', () => {
    // Prepare
    const partition = lane({ batchSize: 10 });
    for (const offset of [0, 1, 2]) partition.push(message(offset), 0);

    // Act
    partition.push(message(1), 10);
    partition.push(message(3), 10);

    // Assess
    expect(partition.peekBatch().map((record) => record.offset)).toEqual([0, 1, 2, 3]);
  });

  it('after a reset, accepts the records again from the committed offset', () => {
    // Prepare
    const partition = lane({ batchSize: 10 });
    for (const offset of [0, 1, 2]) partition.push(message(offset), 0);

    // Act
    partition.reset();
    partition.push(message(1), 50);

    // Assess
    expect(partition.size).toBe(1);
    expect(partition.bytes).toBe(204);
    expect(partition.dueIn(50)).toBe(2_000);
  });
});
