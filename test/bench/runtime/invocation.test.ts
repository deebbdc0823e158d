import { describe, expect, it } from 'vitest';
import { eventAtNextOffsets } from '../../../bench/runtime/invocation.js';

describe('eventAtNextOffsets', () => {
  it("renumbers each partition's records from where it ended, contiguously, and leaves the base event as it was", () => {
    // Prepare
    const record = {
      topic: 'transaction',
      partition: 0,
      offset: 1_000_000,
      timestamp: 1,
      timestampType: 'CREATE_TIME' as const,
      key: 'a2V5',
      value: 'dmFsdWU=',
      headers: [],
    };
    const base = {
      eventSource: 'aws:kafka' as const,
      eventSourceArn: 'arn',
      bootstrapServers: 'b',
      records: {
        'transaction-0': [record, { ...record, offset: 1_000_001 }],
        'transaction-1': [{ ...record, partition: 1 }],
      },
    };
    const next = new Map([['transaction-0', 20_000]]);

    // Act
    const first = eventAtNextOffsets(base, next);
    const second = eventAtNextOffsets(base, next);

    // Assess
    expect(first.records['transaction-0']?.map((r) => r.offset)).toEqual([20_000, 20_001]);
    expect(second.records['transaction-0']?.map((r) => r.offset)).toEqual([20_002, 20_003]);
    expect(second.records['transaction-1']?.map((r) => r.offset)).toEqual([1]);
    expect(base.records['transaction-0'].map((r) => r.offset)).toEqual([1_000_000, 1_000_001]);
  });
});
