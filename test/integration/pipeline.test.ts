import type { Message } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { TransactionGenerator } from '../../lambda/domain/generator.js';
import { EsmEmulator } from '../../local/esm/emulator.js';
import { readFlowTotals, readPositions } from '../../local/totals.js';
import { useAggregatorOnTestDatabase } from './support/aggregator.js';
import { fullyCommitted, produce, testKafka, waitFor } from './support/kafka.js';
import { addToTruth, type Truth } from './support/records.js';
import { uniqueTopic } from './support/test-database.js';

const fixture = useAggregatorOnTestDatabase({ concurrency: 3 });

/** Invalid records and the reason each must be rejected with. */
const INVALID: { value: Buffer | null; reason: string | RegExp }[] = [
  { value: Buffer.from('{"branch":"Kazan"'), reason: /^value is not JSON: / },
  { value: Buffer.from('[1,2]'), reason: 'value must be a JSON object, got an array' },
  { value: Buffer.from('42'), reason: 'value must be a JSON object, got a number' },
  { value: Buffer.from('null'), reason: 'value must be a JSON object, got null' },
  { value: Buffer.from('{"currency":"USD","amount":1}'), reason: 'branch is missing' },
  {
    value: Buffer.from('{"branch":"SPB","currency":"usd","amount":1}'),
    reason: /^currency must be three uppercase/,
  },
  {
    value: Buffer.from('{"branch":"SPB","currency":"USD","amount":"10"}'),
    reason: 'amount must be a JSON number, got a string',
  },
  {
    value: Buffer.from('{"branch":"SPB","currency":"USD","amount":1.234}'),
    reason: 'amount 1.234 has more than 2 decimal places',
  },
  { value: Buffer.from([0x7b, 0xff, 0x7d]), reason: 'value is not valid UTF-8' },
  { value: Buffer.alloc(0), reason: 'value is empty' },
  { value: null, reason: 'record has no value (tombstone)' },
];

describe('the pipeline on a real broker and a real database', () => {
  it('applies every valid deal exactly once and sets every invalid record aside with its reason', async () => {
    // Prepare: 3,000 valid deals keyed by branch, invalid records mixed in between them.
    const brokers = inject('kafkaBrokers');
    const topic = uniqueTopic();
    const groupId = `${topic}-aggregator`;
    const generator = new TransactionGenerator({ seed: 42 });
    const truth: Truth = new Map();
    const messages: Message[] = [];
    for (let i = 0; i < 3_000; i++) {
      const deal = generator.next();
      addToTruth(truth, deal.branch, deal.currency, deal.amount);
      messages.push({ key: deal.branch, value: JSON.stringify(deal) });
      const invalid = INVALID[i / 250];
      if (i % 250 === 0 && invalid) messages.push({ key: `bad-${i}`, value: invalid.value });
    }
    await produce(brokers, topic, messages);
    const emulator = new EsmEmulator({
      kafka: testKafka(brokers),
      topic,
      groupId,
      eventSourceArn: `arn:aws:kafka:local:000000000000:cluster/test/${topic}`,
      bootstrapServers: brokers,
      limits: { batchSize: 500, windowMs: 500, maxBytes: 6 * 1024 * 1024 },
      startingPosition: 'TRIM_HORIZON',
      invoke: (event) => fixture.aggregator.handler(event),
    });

    // Act
    await emulator.start();
    try {
      await waitFor(() => fullyCommitted(brokers, topic, groupId), 60_000, 'all records committed');
    } finally {
      await emulator.stop();
    }

    // Assess
    expect(await readPositions(fixture.database.pool)).toEqual(truth);
    expect(await readFlowTotals(fixture.database.pool)).toEqual(truth);
    const rejected = await fixture.database.pool.query<{
      reason: string;
      kafka_offset: string;
      record_key: Buffer;
    }>('SELECT reason, kafka_offset, record_key FROM rejected_transaction WHERE topic = $1 ORDER BY id', [
      topic,
    ]);
    expect(rejected.rows).toHaveLength(INVALID.length);
    for (const row of rejected.rows) {
      const index = Number(row.record_key.toString().slice('bad-'.length)) / 250;
      const expected = INVALID[index]?.reason;
      if (typeof expected === 'string') expect(row.reason).toBe(expected);
      else expect(row.reason).toMatch(expected as RegExp);
      expect(Number(row.kafka_offset)).toBeGreaterThanOrEqual(0);
    }
    expect(emulator.stats.recordsCommitted).toBe(messages.length);
  });
});
