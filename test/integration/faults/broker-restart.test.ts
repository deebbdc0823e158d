import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTopic } from '../../../local/infra/kafka/admin.js';
import { type KafkaBroker, startKafkaBroker } from '../../../local/infra/kafka/broker.js';
import { testKafka } from '../support/kafka.js';
import { createTestDatabase, type TestDatabase, uniqueTopic } from '../support/test-database.js';
import { expectExactTotals, readTopic } from './support/ground-truth.js';
import {
  type AggregatorUnderTest,
  appliedBatches,
  emulatorFor,
  loadAggregator,
} from './support/in-process.js';
import { LiveProducer } from './support/live-producer.js';
import { streamThroughFault } from './support/live-stream.js';
import { faultSeed } from './support/seeded-random.js';

// A broker of this test's own, on its own data dir and port, so that it can be killed and started
// again on the same data without taking the shared broker from the other tests.
let dataDir: string;
let broker: KafkaBroker | undefined;
let database: TestDatabase;
let aggregator: AggregatorUnderTest;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'broker-restart-'));
  [broker, database] = await Promise.all([
    startKafkaBroker({ dataDir }),
    createTestDatabase(inject('databaseUrl')),
  ]);
  aggregator = await loadAggregator(database.url);
});

afterAll(async () => {
  await broker?.stop();
  await rm(dataDir, { recursive: true, force: true });
  await aggregator?.closeConnections();
  await database?.drop();
});

describe('the Kafka broker killed in the middle of a live stream and started again on its data', () => {
  it('loses and duplicates nothing: the producer retries idempotently, the consumer resumes', async () => {
    // Prepare
    const { brokers, port } = broker as KafkaBroker;
    const topic = uniqueTopic();
    const groupId = `${topic}-aggregator`;
    await createTopic(brokers, topic, 3);
    // Requests are retried for as long as the broker is away (kafkajs' default gives up after ~10 s),
    // each with its producer id and sequence numbers: a request the broker wrote before it died but
    // never acknowledged is not written again.
    const producer = await LiveProducer.start({
      brokers,
      topic,
      ratePerSecond: 300,
      seed: faultSeed(),
      retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
    const emulator = emulatorFor(testKafka(brokers.join(',')), topic, groupId, (event) =>
      aggregator.handler(event),
    );

    // Act: SIGKILL, as a crash; a few seconds away; the same data dir and port again.
    const { appliedAtRecovery } = await streamThroughFault({
      brokers,
      topic,
      groupId,
      pool: database.pool,
      producer,
      emulator,
      fault: async () => {
        await broker?.kill();
        await sleep(3_000);
        broker = await startKafkaBroker({ dataDir, port });
      },
      drainTimeoutMs: 90_000,
    });
    const topicContents = await readTopic(brokers, topic);
    console.log(
      `broker-restart: ${producer.acknowledged} deals; longest request ${producer.longestSendMs} ms; ` +
        `emulator ${emulator.stats.invocations} invocations, ${emulator.stats.retries} retries, ${emulator.stats.rebalances} group joins`,
    );

    // Assess: every acknowledged deal is in the topic once, and nothing else is.
    expect(producer.failures).toEqual([]);
    expect(topicContents.duplicateIds).toEqual([]);
    expect(topicContents.notDeals).toBe(0);
    expect(topicContents.truth).toEqual(producer.truth);
    // The producer waited the outage out inside one request (retried, not failed nor re-sent), and the
    // consumer went on applying after the restart.
    expect(producer.longestSendMs).toBeGreaterThanOrEqual(2_000);
    expect(await appliedBatches(database.pool)).toBeGreaterThan(appliedAtRecovery);
    await expectExactTotals(database.pool, producer.truth, topic, topicContents.ends);
  });
});
