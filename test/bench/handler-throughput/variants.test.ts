import { describe, expect, it } from 'vitest';
import { producerEvents, RECORDS_PER_EVENT } from '../../../bench/handler-throughput/producer-events.js';
import { checkAgreement } from '../../../bench/handler-throughput/variants.js';
import { naiveAggregate } from '../../../bench/reference/naive-aggregate.js';

describe('the handler benchmark’s input and oracle', () => {
  it('fills one-partition events with the producer’s values, which the handler and the naive reference sum alike', () => {
    // Act
    const events = producerEvents(2);

    // Assess
    expect(events.map((subject) => Object.keys(subject.event.records))).toEqual([
      ['transaction-0'],
      ['transaction-1'],
    ]);
    expect(events.every((subject) => subject.records.length === RECORDS_PER_EVENT)).toBe(true);
    expect(checkAgreement(events)).toEqual([]);
    expect(
      naiveAggregate(
        events[0]?.event ?? {
          eventSource: 'aws:kafka',
          eventSourceArn: '',
          bootstrapServers: '',
          records: {},
        },
      ).size,
    ).toBeGreaterThan(0);
  });
});
