import { describe, expect, inject, it } from 'vitest';
import type { EsmEmulator } from '../../../local/esm/emulator.js';
import { createTopic } from '../../../local/infra/kafka/admin.js';
import { useAggregatorOnTestDatabase } from '../support/aggregator.js';
import { fullyCommitted, testKafka, waitFor } from '../support/kafka.js';
import { uniqueTopic } from '../support/test-database.js';
import { expectExactTotals, readTopic } from './support/ground-truth.js';
import { appliedBatches, emulatorFor } from './support/in-process.js';
import { LiveProducer } from './support/live-producer.js';
import { faultSeed } from './support/seeded-random.js';

const fixture = useAggregatorOnTestDatabase({ concurrency: 3 });

describe('a consumer-group rebalance in the middle of a live stream', () => {
  it('keeps exact totals while a second emulator instance joins the group, takes partitions and leaves', async () => {
    // Prepare: two instances of the mapping on one group, as AWS scales pollers out and in.
    const brokers = inject('kafkaBrokers');
    const topic = uniqueTopic();
    const groupId = `${topic}-aggregator`;
    await createTopic(brokers.split(','), topic, 3);
    const producer = await LiveProducer.start({
      brokers: brokers.split(','),
      topic,
      ratePerSecond: 300,
      seed: faultSeed(),
    });
    const instance = (): EsmEmulator =>
      emulatorFor(testKafka(brokers), topic, groupId, (event) => fixture.aggregator.handler(event));
    const first = instance();
    const second = instance();
    await first.start();

    // Act: the second joins while batches are in flight, works for a while, and leaves.
    try {
      await waitFor(
        async () => (await appliedBatches(fixture.database.pool)) > 0,
        60_000,
        'the first batch applied',
      );
      await second.start();
      await waitFor(async () => second.stats.recordsCommitted > 0, 60_000, 'the second instance to commit');
      // Both at work on their shares of the partitions before the second leaves.
      const firstAtSplit = first.stats.invocations;
      const secondAtSplit = second.stats.invocations;
      await waitFor(
        async () => first.stats.invocations > firstAtSplit && second.stats.invocations > secondAtSplit,
        30_000,
        'both instances to invoke again',
      );
      await second.stop();
      await waitFor(async () => first.stats.rebalances >= 3, 30_000, 'the first instance to take all back');
      const firstAtTakeBack = first.stats.recordsCommitted;
      await waitFor(
        async () => first.stats.recordsCommitted > firstAtTakeBack,
        30_000,
        'the first instance to commit on all partitions again',
      );
      await producer.stop();
      await waitFor(() => fullyCommitted(brokers, topic, groupId), 60_000, 'all records committed');
    } finally {
      await producer.stop();
      await Promise.all([first.stop(), second.stop()]);
    }
    const topicContents = await readTopic(brokers.split(','), topic);
    console.log(
      `rebalance: first ${first.stats.recordsCommitted} records in ${first.stats.rebalances} group generations, ` +
        `second ${second.stats.recordsCommitted} records; ${producer.acknowledged} deals`,
    );

    // Assess: the first joined, rebalanced when the second joined and again when it left; both applied.
    expect(first.stats.rebalances).toBeGreaterThanOrEqual(3);
    expect(first.stats.recordsCommitted).toBeGreaterThan(0);
    expect(second.stats.recordsCommitted).toBeGreaterThan(0);
    expect(producer.failures).toEqual([]);
    expect(topicContents.truth).toEqual(producer.truth);
    await expectExactTotals(fixture.database.pool, producer.truth, topic, topicContents.ends);
  });
});
