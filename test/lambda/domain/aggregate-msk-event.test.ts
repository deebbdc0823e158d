import { describe, expect, it } from 'vitest';
import { aggregateBatch, aggregateMskEvent } from '../../../lambda/domain/aggregate.js';
import { partitionKey } from '../../../lambda/domain/batch-aggregate.js';
import { TransactionGenerator } from '../../../lambda/domain/generator.js';
import {
  decodeMskEvent,
  encodeMskEvent,
  type KafkaRecordSource,
} from '../../../lambda/domain/kafka-record.js';
import { loadMskEvent } from '../../fixtures/load-msk-event.js';

const SOURCE = {
  eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/c/1',
  bootstrapServers: 'b:9098',
};

/** Seeded values: the producer's own, and damaged ones of every kind the fast path must hand over. */
function mixedRecords(seed: number, count: number): KafkaRecordSource[] {
  const generator = new TransactionGenerator({ seed });
  let state = seed;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const damaged = [
    (text: string) => text.replace('"amount":', '"amount": '),
    (text: string) => text.replace('"currency":"', '"currency":"x'),
    (text: string) => text.slice(0, Math.floor(text.length / 2)),
    (text: string) => text.replace(/"amount":(-?\d+)/, '"amount":$1.125'),
    (text: string) => `\uFEFF${text}`,
    (text: string) => text.replace('"branch":"', '"branch":"\\u0041'),
    () => '[]',
    () => '',
  ];
  return Array.from({ length: count }, (_, i) => {
    const partition = i % 3;
    const deal = generator.next(1_764_000_000_000 + i);
    const text = JSON.stringify(deal);
    const roll = random();
    const pick = damaged[Math.floor(random() * damaged.length)] as (text: string) => string;
    const value =
      roll < 0.05
        ? null
        : roll < 0.1
          ? Buffer.from([0x7b, 0xff, 0xfe, 0x7d])
          : Buffer.from(roll < 0.3 ? pick(text) : text);
    return {
      topic: 'transaction',
      partition,
      offset: 1_000 + i,
      timestamp: deal.eventTime,
      key: Buffer.from(deal.branch),
      value,
    };
  });
}

describe('aggregateMskEvent', () => {
  it('gives what aggregateBatch gives on the decoded records, for valid and damaged values alike', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      // Prepare
      const event = encodeMskEvent(mixedRecords(seed, 3_000), SOURCE);

      // Act
      const direct = aggregateMskEvent(event);
      const viaRecords = aggregateBatch(event.eventSourceArn, decodeMskEvent(event));

      // Assess
      expect(direct).toEqual(viaRecords);
      expect(direct.rejects.length).toBeGreaterThan(0);
      expect(direct.deltas.length).toBeGreaterThan(0);
    }
  });

  it('skips records below the checkpoints exactly as aggregateBatch does', () => {
    // Prepare
    const event = encodeMskEvent(mixedRecords(9, 600), SOURCE);
    const checkpoints = new Map([
      [partitionKey('transaction', 0), 1_300],
      [partitionKey('transaction', 2), 5_000],
    ]);

    // Act
    const direct = aggregateMskEvent(event, checkpoints);

    // Assess
    expect(direct).toEqual(aggregateBatch(event.eventSourceArn, decodeMskEvent(event), checkpoints));
    expect(direct.ranges.map((r) => r.partition)).toEqual([0, 1]);
    expect(direct.skippedCount).toBeGreaterThan(0);
  });

  it('aggregates the AWS-shaped fixture as aggregateBatch does', async () => {
    // Prepare
    const fixture = await loadMskEvent();

    // Act
    const direct = aggregateMskEvent(fixture);

    // Assess
    expect(direct).toEqual(aggregateBatch(fixture.eventSourceArn, decodeMskEvent(fixture)));
    expect(direct.rejects.map((r) => r.offset)).toEqual([17, 40, 42]);
  });
});
