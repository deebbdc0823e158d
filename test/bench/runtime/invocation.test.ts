import { describe, expect, it } from 'vitest';
import { eventAtOffset } from '../../../bench/runtime/invocation.js';

describe('eventAtOffset', () => {
  it('renumbers every record from the first offset and leaves the base event as it was', () => {
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
      records: { 'transaction-0': [record, { ...record, offset: 1_000_001 }] },
    };

    // Act
    const event = eventAtOffset(base, 20_000);

    // Assess
    expect(event.records['transaction-0']?.map((r) => r.offset)).toEqual([20_000, 20_001]);
    expect(base.records['transaction-0'].map((r) => r.offset)).toEqual([1_000_000, 1_000_001]);
  });
});
