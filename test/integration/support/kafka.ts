import { CompressionTypes, Kafka, logLevel, type Message } from 'kafkajs';
import { createTopic, groupLag } from '../../../local/kafka/admin.js';

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

export async function waitFor(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
