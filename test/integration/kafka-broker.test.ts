import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic, quietKafkaLogCreator } from '../../local/infra/kafka/admin.js';
import { type KafkaBroker, startKafkaBroker } from '../../local/infra/kafka/broker.js';

const TOPIC = 'transaction';
const BRANCHES = ['branch-001', 'branch-002', 'branch-003', 'branch-004', 'branch-005', 'branch-006'];
// Two messages per branch, so that per-key order is observable.
const PRODUCED = [1, 2].flatMap((sequence) =>
  BRANCHES.map((branch) => ({ key: branch, value: JSON.stringify({ branch, sequence }) })),
);

interface Consumed {
  readonly partition: number;
  readonly key: string;
  readonly value: string;
}

describe('local Kafka broker', () => {
  let dataDir: string;
  let broker: KafkaBroker | undefined;
  let producedPartitions: readonly number[];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kafka-broker-test-'));
    broker = await startKafkaBroker({ dataDir });
    await createTopic(broker.brokers, TOPIC, 3);
    producedPartitions = await produceAll(broker.brokers);
  });

  afterAll(async () => {
    await broker?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('delivers keyed messages to a consumer group, each key in one partition and in order', async () => {
    const consumed = await consumeAll(requireBroker().brokers, 'kafka-broker-test-first', PRODUCED.length);

    expect(sorted(consumed.map(({ key, value }) => ({ key, value })))).toEqual(sorted(PRODUCED));
    for (const branch of BRANCHES) {
      const ofBranch = consumed.filter((message) => message.key === branch);
      expect(new Set(ofBranch.map((message) => message.partition)).size).toBe(1);
      expect(ofBranch.map((message) => JSON.parse(message.value).sequence)).toEqual([1, 2]);
    }
    expect(new Set(consumed.map((message) => message.partition))).toEqual(new Set([0, 1, 2]));
    expect([...producedPartitions].sort((a, b) => a - b)).toEqual([0, 1, 2]);
  });

  it('keeps the batches as the idempotent producer sent them: gzip-compressed, with a producer id', async () => {
    const batches = await recordBatchHeaders(dataDir, TOPIC);

    expect(batches).toHaveLength(3);
    for (const batch of batches) {
      expect(batch.compression).toBe(GZIP);
      expect(batch.producerId).toBeGreaterThanOrEqual(0n);
    }
  });

  it('creates an existing topic again without error, but refuses another partition count', async () => {
    const { brokers } = requireBroker();

    await createTopic(brokers, TOPIC, 3);

    await expect(createTopic(brokers, TOPIC, 6)).rejects.toThrow(/already exists with 3 partitions/);
  });

  it('keeps messages and committed offsets when restarted on the same data dir and port', async () => {
    const groupId = 'kafka-broker-test-before-restart';
    await consumeAll(requireBroker().brokers, groupId, PRODUCED.length);
    const { port } = requireBroker();

    await requireBroker().stop();
    broker = await startKafkaBroker({ dataDir, port });

    expect(broker.port).toBe(port);
    const consumed = await consumeAll(broker.brokers, 'kafka-broker-test-after-restart', PRODUCED.length);
    expect(sorted(consumed.map(({ key, value }) => ({ key, value })))).toEqual(sorted(PRODUCED));
    const admin = client(broker.brokers).admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
      const ends = await admin.fetchTopicOffsets(TOPIC);
      expect(byPartition(committed?.partitions ?? [])).toEqual(byPartition(ends));
    } finally {
      await admin.disconnect();
    }
  });

  function requireBroker(): KafkaBroker {
    if (!broker) {
      throw new Error('the broker did not start');
    }
    return broker;
  }
});

function client(brokers: readonly string[]): Kafka {
  return new Kafka({
    clientId: 'kafka-broker-test',
    brokers: [...brokers],
    logLevel: logLevel.WARN,
    logCreator: quietKafkaLogCreator,
  });
}

/** Sends all messages in one gzip batch per partition; returns the partitions written. */
async function produceAll(brokers: readonly string[]): Promise<readonly number[]> {
  const producer = client(brokers).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    const written = await producer.send({
      topic: TOPIC,
      compression: CompressionTypes.GZIP,
      messages: PRODUCED,
    });
    return written.map((metadata) => metadata.partition);
  } finally {
    await producer.disconnect();
  }
}

/** Consumes from the beginning until `count` messages arrived; commits on disconnect. */
async function consumeAll(brokers: readonly string[], groupId: string, count: number): Promise<Consumed[]> {
  const consumer = client(brokers).consumer({ groupId });
  const consumed: Consumed[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            consumed.push({ partition, key: String(message.key), value: String(message.value) });
            if (consumed.length >= count) {
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return consumed;
}

const GZIP = 1;

interface RecordBatchHeader {
  readonly compression: number;
  readonly producerId: bigint;
}

/**
 * Reads the v2 record batch headers of the topic's first log segments. The client API does not
 * show how a batch was stored, and that is what tells us the broker kept the producer's gzip
 * compression and idempotence.
 */
async function recordBatchHeaders(dataDir: string, topic: string): Promise<RecordBatchHeader[]> {
  const segment = new RegExp(`(^|/)${topic}-\\d+/0{20}\\.log$`);
  const segments = (await readdir(dataDir, { recursive: true })).filter((path) => segment.test(path));
  const headers: RecordBatchHeader[] = [];
  for (const path of segments) {
    const bytes = await readFile(join(dataDir, path));
    // baseOffset int64, batchLength int32, leaderEpoch int32, magic int8, crc int32, attributes int16,
    // lastOffsetDelta int32, baseTimestamp int64, maxTimestamp int64, producerId int64.
    for (let offset = 0; offset + 61 <= bytes.length; offset += 12 + bytes.readInt32BE(offset + 8)) {
      headers.push({
        compression: bytes.readInt16BE(offset + 21) & 0x07,
        producerId: bytes.readBigInt64BE(offset + 43),
      });
    }
  }
  return headers;
}

function sorted<T>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

function byPartition(entries: readonly { partition: number; offset: string }[]): Record<number, string> {
  return Object.fromEntries(entries.map(({ partition, offset }) => [partition, offset]));
}
