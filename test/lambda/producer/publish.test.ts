import { getEventListeners } from 'node:events';
import {
  CompressionTypes,
  type PartitionerArgs,
  Partitioners,
  type PartitionMetadata,
  type Producer,
  type ProducerRecord,
  type RecordMetadata,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BRANCHES,
  DEFAULT_CURRENCIES,
  TransactionGenerator,
} from '../../../lambda/domain/generator.js';
import {
  CountingPartitioner,
  messageKey,
  publishAtRate,
  totalsKey,
} from '../../../lambda/producer/publish.js';

const TOPIC = 'transaction';

const PARTITIONS: PartitionMetadata[] = [0, 1, 2].map((partitionId) => ({
  partitionErrorCode: 0,
  partitionId,
  leader: 1,
  replicas: [1],
  isr: [1],
}));

/**
 * Stands in for a kafkajs producer: records each request, partitions its messages with the given
 * partitioner as kafkajs does (partition 0 without one), gives them consecutive offsets per partition
 * and answers one RecordMetadata per partition with the offset of its first message.
 */
class FakeProducer implements Pick<Producer, 'send'> {
  readonly requests: ProducerRecord[] = [];
  /** Next offset per partition: after a run, the last offset written is one less. */
  readonly nextOffsets = new Map<number, number>();

  constructor(
    private readonly partition: (args: PartitionerArgs) => number = () => 0,
    private readonly onRequest: (request: ProducerRecord) => void = () => undefined,
  ) {}

  readonly send = async (request: ProducerRecord): Promise<RecordMetadata[]> => {
    this.requests.push(request);
    this.onRequest(request);
    const counts = new Map<number, number>();
    for (const message of request.messages) {
      const partition = this.partition({ topic: request.topic, partitionMetadata: PARTITIONS, message });
      counts.set(partition, (counts.get(partition) ?? 0) + 1);
    }
    return [...counts].map(([partition, count]) => {
      const baseOffset = this.nextOffsets.get(partition) ?? 0;
      this.nextOffsets.set(partition, baseOffset + count);
      return { topicName: request.topic, partition, errorCode: 0, baseOffset: String(baseOffset) };
    });
  };

  get messages() {
    return this.requests.flatMap((request) => request.messages);
  }
}

describe('publishAtRate', () => {
  it.each([
    [200, 0.5, 100],
    [30, 0.25, 7],
  ])('sends rate × duration deals: %d/s for %d s is %d', async (ratePerSecond, durationSeconds, expected) => {
    // Prepare
    const producer = new FakeProducer();
    const generator = new TransactionGenerator({ seed: 1 });

    // Act
    const report = await publishAtRate(producer, {
      topic: TOPIC,
      ratePerSecond,
      durationSeconds,
      generator,
      tickMs: 50,
    });

    // Assess
    expect(producer.messages).toHaveLength(expected);
    expect(report.sent).toBe(expected);
  });

  it('asks for gzip on every request to the configured topic', async () => {
    // Prepare
    const producer = new FakeProducer();

    // Act
    await publishAtRate(producer, {
      topic: 'deals-eu',
      ratePerSecond: 200,
      durationSeconds: 0.5,
      generator: new TransactionGenerator(),
      tickMs: 50,
    });

    // Assess
    expect(producer.requests.length).toBeGreaterThan(1);
    for (const request of producer.requests) {
      expect(request.topic).toBe('deals-eu');
      expect(request.compression).toBe(CompressionTypes.GZIP);
    }
  });

  it('keys each deal by its position (branch × currency) and sends it as the JSON of the generated deal', async () => {
    // Prepare
    const producer = new FakeProducer();
    const twin = new TransactionGenerator({ seed: 77, idPrefix: 'p1' });

    // Act
    await publishAtRate(producer, {
      topic: TOPIC,
      ratePerSecond: 200,
      durationSeconds: 0.5,
      generator: new TransactionGenerator({ seed: 77, idPrefix: 'p1' }),
      tickMs: 50,
    });

    // Assess
    expect(producer.messages).toHaveLength(100);
    for (const message of producer.messages) {
      const sent = JSON.parse(String(message.value)) as { eventTime: number };
      const expected = twin.next(sent.eventTime);
      expect(message.value).toBe(JSON.stringify(expected));
      expect(message.key).toBe(`${expected.branch}|${expected.currency}`);
      expect(message.timestamp).toBe(String(expected.eventTime));
    }
  });

  it('totals per branch × currency exactly what was sent', async () => {
    // Prepare
    const producer = new FakeProducer();

    // Act
    const report = await publishAtRate(producer, {
      topic: TOPIC,
      ratePerSecond: 200,
      durationSeconds: 0.5,
      generator: new TransactionGenerator({ seed: 5, minAmount: -1_000_000, maxAmount: 1_000_000 }),
      tickMs: 50,
    });

    // Assess
    const expected = new Map<string, { sum: bigint; count: number }>();
    for (const message of producer.messages) {
      const deal = JSON.parse(String(message.value)) as { branch: string; currency: string; amount: number };
      const key = totalsKey(deal.branch, deal.currency);
      const cell = expected.get(key) ?? { sum: 0n, count: 0 };
      expected.set(key, { sum: cell.sum + BigInt(deal.amount) * 100n, count: cell.count + 1 });
    }
    const totals = new Map(
      [...report.totals].map(([key, cell]) => [key, { sum: cell.sum.toBigInt(), count: cell.count }]),
    );
    expect(totals).toEqual(expected);
  });

  it('reports per partition how many deals went there and the offset of the last one', async () => {
    // Prepare
    const partitioner = new CountingPartitioner();
    const producer = new FakeProducer(partitioner.create());

    // Act
    const report = await publishAtRate(
      producer,
      {
        topic: TOPIC,
        ratePerSecond: 200,
        durationSeconds: 0.5,
        generator: new TransactionGenerator({ seed: 9 }),
        tickMs: 50,
      },
      partitioner,
    );

    // Assess
    const expected = new Map(
      [...producer.nextOffsets].map(([partition, next]) => [
        partition,
        { count: next, lastOffset: next - 1 },
      ]),
    );
    expect(expected.size).toBeGreaterThan(1);
    expect(report.partitions).toEqual(expected);
  });

  it('sends nothing when the signal is already aborted', async () => {
    // Prepare
    const producer = new FakeProducer();
    const controller = new AbortController();
    controller.abort();

    // Act
    const report = await publishAtRate(producer, {
      topic: TOPIC,
      ratePerSecond: 200,
      durationSeconds: 60,
      generator: new TransactionGenerator(),
      signal: controller.signal,
    });

    // Assess
    expect(producer.requests).toEqual([]);
    expect(report.sent).toBe(0);
  });

  it('stops after the request during which the signal is aborted', async () => {
    // Prepare
    const controller = new AbortController();
    const producer = new FakeProducer(undefined, () => controller.abort());

    // Act
    const report = await publishAtRate(producer, {
      topic: TOPIC,
      ratePerSecond: 200,
      durationSeconds: 60,
      generator: new TransactionGenerator(),
      tickMs: 50,
      signal: controller.signal,
    });

    // Assess
    expect(producer.requests).toHaveLength(1);
    expect(report.sent).toBe(producer.messages.length);
    expect(report.sent).toBeLessThan(200 * 60);
  });

  // Without the abort cutting the sleep short, this waits out a 60 s tick and the test times out.
  it('stops while waiting for the next tick when the signal is aborted', { timeout: 5_000 }, async () => {
    // Prepare
    const producer = new FakeProducer();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);

    // Act
    const report = await publishAtRate(producer, {
      topic: TOPIC,
      ratePerSecond: 200,
      durationSeconds: 120,
      generator: new TransactionGenerator(),
      tickMs: 60_000,
      signal: controller.signal,
    });

    // Assess
    expect(producer.requests).toEqual([]);
    expect(report.sent).toBe(0);
  });

  it('leaves no listener on the signal once it is done', async () => {
    // Prepare
    const producer = new FakeProducer();
    const controller = new AbortController();

    // Act
    await publishAtRate(producer, {
      topic: TOPIC,
      ratePerSecond: 200,
      durationSeconds: 0.5,
      generator: new TransactionGenerator(),
      tickMs: 50,
      signal: controller.signal,
    });

    // Assess
    expect(producer.messages).toHaveLength(100);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('lets a failed send through', async () => {
    // Prepare
    const failure = new Error('KafkaJSNumberOfRetriesExceeded');
    const producer: Pick<Producer, 'send'> = {
      send: async () => {
        throw failure;
      },
    };

    // Act
    const publishing = publishAtRate(producer, {
      topic: TOPIC,
      ratePerSecond: 200,
      durationSeconds: 0.5,
      generator: new TransactionGenerator(),
      tickMs: 50,
    });

    // Assess
    await expect(publishing).rejects.toBe(failure);
  });

  it('spreads the default positions over the partitions, each position on one (S1)', () => {
    // Prepare: kafkajs' default partitioner, as the producer uses it, over 12 partitions.
    const partition = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 12 }, (_, id) => ({
      partitionId: id,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    const partitionOf = (branch: string, currency: string) =>
      partition({
        topic: TOPIC,
        partitionMetadata,
        message: { key: messageKey({ branch, currency }), value: '' },
      });

    // Act
    const byPosition = DEFAULT_BRANCHES.flatMap((b) => DEFAULT_CURRENCIES.map((c) => partitionOf(b, c)));
    const byBranchAlone = new Set(
      DEFAULT_BRANCHES.map((b) =>
        partition({ topic: TOPIC, partitionMetadata, message: { key: b, value: '' } }),
      ),
    );

    // Assess: more partitions busy than the 4 a branch key allowed, and the same one for a position each time.
    expect(byBranchAlone.size).toBeLessThanOrEqual(4);
    expect(new Set(byPosition).size).toBeGreaterThan(4);
    expect(DEFAULT_BRANCHES.flatMap((b) => DEFAULT_CURRENCIES.map((c) => partitionOf(b, c)))).toEqual(
      byPosition,
    );
  });

  it('counts the run from the given start, connecting included: it ends on time and sends rate × duration (N23)', async () => {
    // Prepare: 300 ms of a 0.5 s run were spent connecting.
    const producer = new FakeProducer();
    const startedAt = Date.now() - 300;

    // Act
    const report = await publishAtRate(producer, {
      topic: TOPIC,
      ratePerSecond: 200,
      durationSeconds: 0.5,
      generator: new TransactionGenerator({ seed: 3 }),
      tickMs: 50,
      startedAt,
    });

    // Assess
    expect(report.sent).toBe(100);
    expect(Date.now() - startedAt).toBeLessThan(700);
    expect(report.elapsedMs).toBeGreaterThanOrEqual(500);
  });
});
