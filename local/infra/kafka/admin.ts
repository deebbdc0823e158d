import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, Kafka, type logCreator, logLevel } from 'kafkajs';

const LEADERS_TIMEOUT_MS = 30_000;

/**
 * kafkajs logging for use with `logLevel.WARN`, without the error responses that its connections log
 * before the client retries them (a coordinator still loading, a topic that already exists): those
 * that matter surface as thrown errors anyway.
 */
export const quietKafkaLogCreator: logCreator =
  () =>
  ({ namespace, label, log }) => {
    if (namespace === 'Connection' && log.message.startsWith('Response ')) {
      return;
    }
    const { message, timestamp: _timestamp, ...details } = log;
    console.error(`kafkajs ${label} [${namespace}] ${message} ${JSON.stringify(details)}`);
  };

/**
 * Creates the topic and waits until every partition has a leader. Idempotent when the topic exists
 * with the same partition count; throws when it exists with another.
 */
export async function createTopic(
  brokers: readonly string[],
  topic: string,
  partitions: number,
  replicationFactor = 1,
): Promise<void> {
  const admin = new Kafka({
    clientId: 'local-kafka-admin',
    brokers: [...brokers],
    logLevel: logLevel.WARN,
    logCreator: quietKafkaLogCreator,
  }).admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor }],
      waitForLeaders: true,
    });
    if (!created) {
      const existing = await partitionsOf(admin, topic);
      if (existing.length !== partitions) {
        throw new Error(
          `Topic ${topic} already exists with ${existing.length} partitions, not ${partitions}`,
        );
      }
    }
    await waitForLeaders(admin, topic, partitions);
  } finally {
    await admin.disconnect();
  }
}

async function partitionsOf(admin: Admin, topic: string): Promise<readonly { readonly leader: number }[]> {
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return metadata.topics.find((candidate) => candidate.name === topic)?.partitions ?? [];
}

async function waitForLeaders(admin: Admin, topic: string, partitions: number): Promise<void> {
  const deadline = Date.now() + LEADERS_TIMEOUT_MS;
  let state = 'no metadata yet';
  while (Date.now() < deadline) {
    try {
      const current = await partitionsOf(admin, topic);
      if (current.length === partitions && current.every((partition) => partition.leader >= 0)) {
        return;
      }
      state = `${current.filter((partition) => partition.leader >= 0).length} of ${partitions} partitions have a leader`;
    } catch (error) {
      // Metadata can lag the creation by a moment (UNKNOWN_TOPIC_OR_PARTITION): ask again.
      state = (error as Error).message;
    }
    await sleep(100);
  }
  throw new Error(
    `Topic ${topic}: partitions still without a leader after ${LEADERS_TIMEOUT_MS / 1000} s (${state})`,
  );
}

/** Records in the topic (the sum of its partitions' end offsets) and the group's lag behind them. */
export async function groupLag(
  admin: Admin,
  topic: string,
  groupId: string,
): Promise<{ readonly inTopic: number; readonly lag: number }> {
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  let inTopic = 0;
  let lag = 0;
  for (const end of ends) {
    const next = Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
    inTopic += Number(end.high);
    lag += Number(end.high) - Math.max(next, Number(end.low));
  }
  return { inTopic, lag };
}

/**
 * A new broker loads its transaction coordinator (which hands out idempotent producer ids) a moment
 * after it answers; an idempotent producer started before then logs a retriable error. Waiting here
 * keeps the first screen clean.
 */
export async function waitForProducerIds(brokers: readonly string[]): Promise<void> {
  const kafka = new Kafka({
    clientId: 'treasury-stream-setup',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.disconnect();
}
