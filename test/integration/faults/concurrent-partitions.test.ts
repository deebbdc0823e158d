import { CompressionTypes, type Message } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { createTopic } from '../../../local/infra/kafka/admin.js';
import { useAggregatorOnTestDatabase } from '../support/aggregator.js';
import { fullyCommitted, testKafka, waitFor } from '../support/kafka.js';
import type { Truth } from '../support/records.js';
import { uniqueTopic } from '../support/test-database.js';
import { expectExactTotals } from './support/ground-truth.js';
import { emulatorFor } from './support/in-process.js';
import { between, faultSeed, seededRandom } from './support/seeded-random.js';

const PARTITIONS = 6;
const DEALS = 12_000;
// Every partition carries deals of the same two positions, so every invocation updates the same rows.
const CELLS = [
  { branch: 'Kazan', currency: 'USD' },
  { branch: 'Kazan', currency: 'EUR' },
] as const;

// One connection per partition, so that the invocations meet in the database, not in the pool.
const fixture = useAggregatorOnTestDatabase({ concurrency: PARTITIONS + 2 });

describe('concurrent handlers on all partitions updating the same positions', () => {
  it('loses no update and never deadlocks', async () => {
    // Prepare: the whole topic written first, so that all six lanes have work from the first fetch;
    // amounts in cents, so that the sums also prove decimal exactness.
    const brokers = inject('kafkaBrokers');
    const topic = uniqueTopic();
    const groupId = `${topic}-aggregator`;
    await createTopic(brokers.split(','), topic, PARTITIONS);
    const random = seededRandom(faultSeed());
    const truth: Truth = new Map();
    const messages: Message[] = [];
    for (let i = 0; i < DEALS; i++) {
      const cell = CELLS[i % CELLS.length] ?? CELLS[0];
      const cents = between(random, -1_000_000, 1_000_000);
      const key = `${cell.branch}|${cell.currency}`;
      const entry = truth.get(key) ?? { sum: 0n, count: 0 };
      entry.sum += BigInt(cents);
      entry.count++;
      truth.set(key, entry);
      messages.push({
        key: `deal-${i}`,
        partition: i % PARTITIONS,
        value: JSON.stringify({ id: `c-${i}`, ...cell, amount: cents / 100 }),
      });
    }
    const producer = testKafka(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < messages.length; i += 1_000) {
      await producer.send({
        topic,
        compression: CompressionTypes.GZIP,
        messages: messages.slice(i, i + 1_000),
      });
    }
    await producer.disconnect();
    let inFlight = 0;
    let mostInFlight = 0;
    const invokedPartitions = new Set<number>();
    const emulator = emulatorFor(
      testKafka(brokers),
      topic,
      groupId,
      async (event) => {
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        for (const records of Object.values(event.records)) {
          for (const record of records) invokedPartitions.add(record.partition);
        }
        try {
          return await fixture.aggregator.handler(event);
        } finally {
          inFlight--;
        }
      },
      { limits: { batchSize: 50, windowMs: 0, maxBytes: 6 * 1024 * 1024 } },
    );

    // Act
    await emulator.start();
    try {
      await waitFor(() => fullyCommitted(brokers, topic, groupId), 90_000, 'all records committed');
    } finally {
      await emulator.stop();
    }

    console.log(
      `concurrent-partitions: ${emulator.stats.invocations} invocations on ${invokedPartitions.size} partitions, ` +
        `at most ${mostInFlight} at once`,
    );

    // Assess: invocations of different partitions ran at once; none failed (a deadlock or a lost
    // update would have failed a batch or changed a sum); the positions are exact to the cent.
    expect(invokedPartitions.size).toBe(PARTITIONS);
    expect(mostInFlight).toBeGreaterThanOrEqual(PARTITIONS / 2);
    expect(emulator.stats.retries).toBe(0);
    const deadlocks = await fixture.database.pool.query<{ deadlocks: string }>(
      'SELECT deadlocks::text FROM pg_stat_database WHERE datname = current_database()',
    );
    expect(Number(deadlocks.rows[0]?.deadlocks)).toBe(0);
    const ends = new Map(
      Array.from({ length: PARTITIONS }, (_, p) => [p, Math.ceil((DEALS - p) / PARTITIONS)] as const),
    );
    await expectExactTotals(fixture.database.pool, truth, topic, ends);
  });
});
