import { setTimeout as sleep } from 'node:timers/promises';
import { CompressionTypes, Kafka, logLevel, type Message } from 'kafkajs';
import { createTopic, groupLag } from '../../../local/infra/kafka/admin.js';

export function testKafka(brokers: string): Kafka {
  return new Kafka({ clientId: 'integration-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

/** Creates the topic and sends the messages with an idempotent, gzip producer, as the producer does. */
export async function produce(brokers: string, topic: string, messages: readonly Message[]): Promise<void> {
  await createTopic(brokers.split(','), topic, 3);
  const producer = testKafka(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({
        topic,
        compression: CompressionTypes.GZIP,
        messages: messages.slice(i, i + 500),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** True once the group has committed every partition up to the topic's end. */
export async function fullyCommitted(brokers: string, topic: string, groupId: string): Promise<boolean> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    return (await groupLag(admin, topic, groupId)).lag === 0;
  } finally {
    await admin.disconnect();
  }
}

/** Each partition's end offset (the offset the next record will get). */
export async function topicEnds(brokers: string, topic: string): Promise<Map<number, number>> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)] as const));
  } finally {
    await admin.disconnect();
  }
}

/** Resolves once `condition` holds, asking every `pollMs`; throws after `timeoutMs`, naming `what`. */
export async function waitFor(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  pollMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}
