import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { Producer } from 'kafkajs';
import { integerEnv, numberEnv, optionalEnv } from '../adapters/env.js';
import { createKafka, readKafkaSource } from '../adapters/kafka-client.js';
import { TransactionGenerator } from '../domain/generator.js';
import { CountingPartitioner, type PublishReport, publishAtRate } from './publish.js';

const kafkaSource = readKafkaSource(process.env);
const topic = optionalEnv(process.env, 'TOPIC') ?? 'transaction';
const ratePerSecond = numberEnv(process.env, 'RATE_PER_SECOND', 100, 0.1, 1_000_000);
// The schedule fires once a minute, so by default one invocation covers its minute.
const durationSeconds = integerEnv(process.env, 'DURATION_SECONDS', 60, 1, 900);
const logger = new Logger({ serviceName: 'producer' });
const partitioner = new CountingPartitioner();

let producer: Promise<Producer> | undefined;

function connectedProducer(): Promise<Producer> {
  producer ??= (async () => {
    const kafka = await createKafka(kafkaSource, 'treasury-stream-producer');
    // Idempotent: a request the broker wrote but whose acknowledgement was lost is retried without
    // writing its deals twice. One request in flight keeps that guarantee and the order per key.
    const created = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: partitioner.create,
    });
    await created.connect();
    return created;
  })().catch((error: unknown) => {
    producer = undefined;
    throw error;
  });
  return producer;
}

export interface ProducerSummary {
  readonly sent: number;
  readonly elapsedMs: number;
  readonly partitions: Record<string, { count: number; lastOffset: number }>;
}

export function summarize(report: PublishReport): ProducerSummary {
  return {
    sent: report.sent,
    elapsedMs: report.elapsedMs,
    partitions: Object.fromEntries(report.partitions),
  };
}

/** Scheduled once a minute: sends RATE_PER_SECOND random deals a second for DURATION_SECONDS. */
export async function handler(
  _event: unknown,
  context?: Pick<Context, 'awsRequestId'>,
): Promise<ProducerSummary> {
  const generator = new TransactionGenerator({
    seed: Date.now() % 2 ** 31,
    idPrefix: (context?.awsRequestId ?? `local-${process.pid}-${Date.now()}`).slice(0, 24),
  });
  const report = await publishAtRate(
    await connectedProducer(),
    { topic, ratePerSecond, durationSeconds, generator },
    partitioner,
  );
  const summary = summarize(report);
  logger.info('deals sent', { topic, ...summary });
  return summary;
}
