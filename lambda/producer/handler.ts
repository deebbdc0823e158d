import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { Producer } from 'kafkajs';
import { boundedNumber, type NumberRange } from '../../contracts/config-error.js';
import { AMOUNT_DISTRIBUTIONS, type AmountDistribution } from '../../contracts/producer.js';
import { DEFAULT_SETTINGS, PRODUCER_RATE_RANGE } from '../../contracts/settings.js';
import { DEALS_SENT_LOG, SERVICE_NAME } from '../../contracts/telemetry/metrics.js';
import { ConfigError, integerEnv, optionalEnv, rangedEnv } from '../adapters/env.js';
import { createKafka, readKafkaSource } from '../adapters/kafka-client.js';
import { TransactionGenerator } from '../domain/generator.js';
import { CachedConnection } from './cached-connection.js';
import { CountingPartitioner, type PublishReport, publishAtRate } from './publish.js';

const kafkaSource = readKafkaSource(process.env);
const defaults = DEFAULT_SETTINGS.producer;
const topic = optionalEnv(process.env, 'TOPIC') ?? DEFAULT_SETTINGS.streaming.topic;
const ratePerSecond = rangedEnv(
  process.env,
  'RATE_PER_SECOND',
  defaults.producerRatePerSecond,
  PRODUCER_RATE_RANGE,
);
const durationSeconds = integerEnv(process.env, 'DURATION_SECONDS', defaults.producerDurationSeconds, 1, 900);
const amounts = amountDistributionEnv(optionalEnv(process.env, 'AMOUNT_DISTRIBUTION'));
const logger = new Logger({ serviceName: SERVICE_NAME.producer });
const partitioner = new CountingPartitioner();

const producer = new CachedConnection<Producer>(async () => {
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
});

export interface ProducerSummary {
  readonly sent: number;
  readonly elapsedMs: number;
  /** Per partition: deals sent and the offset of the last one. */
  readonly partitions: Record<string, { count: number; lastOffset: number }>;
  /** Per "branch|currency": the sum (decimal string) and count of the deals sent: the ground truth. */
  readonly totals: Record<string, { sum: string; count: number }>;
}

export function summarize(report: PublishReport): ProducerSummary {
  return {
    sent: report.sent,
    elapsedMs: report.elapsedMs,
    partitions: Object.fromEntries(report.partitions),
    totals: Object.fromEntries(
      [...report.totals].map(([key, totals]) => [key, { sum: totals.sum.toDecimal(), count: totals.count }]),
    ),
  };
}

/**
 * The scheduled event carries nothing of ours; a manual invocation (or the local runtime) may set the
 * duration and rate of this one run.
 */
export interface ProducerEvent {
  readonly durationSeconds?: number;
  readonly ratePerSecond?: number;
}

/** A run may last part of a second (the tests' runs do), never longer than a function may run. */
const RUN_SECONDS_RANGE: NumberRange = { min: 0, max: 900, integer: false, minExclusive: true };

function override(event: unknown, name: keyof ProducerEvent, fallback: number, range: NumberRange): number {
  const value: unknown = (event as ProducerEvent | null | undefined)?.[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number')
    throw new ConfigError(`${name} must be a number, got ${JSON.stringify(value)}`);
  return boundedNumber(name, value, range);
}

/** Scheduled once a minute: sends RATE_PER_SECOND random deals a second for DURATION_SECONDS. */
export async function handler(
  event: unknown,
  context?: Pick<Context, 'awsRequestId'>,
): Promise<ProducerSummary> {
  // The run's DURATION_SECONDS count from here, connecting included, so that a run ends before the
  // next minute's starts (a slow connect used to push the end past it).
  const startedAt = Date.now();
  const run = {
    topic,
    startedAt,
    durationSeconds: override(event, 'durationSeconds', durationSeconds, RUN_SECONDS_RANGE),
    ratePerSecond: override(event, 'ratePerSecond', ratePerSecond, PRODUCER_RATE_RANGE),
  };
  const generator = new TransactionGenerator({
    seed: Date.now() % 2 ** 31,
    amounts,
    idPrefix: (context?.awsRequestId ?? `local-${process.pid}-${Date.now()}`).slice(0, 24),
  });
  const report = await producer.use((connected) =>
    publishAtRate(connected, { ...run, generator }, partitioner),
  );
  const summary = summarize(report);
  logger.info(DEALS_SENT_LOG.message, {
    topic,
    [DEALS_SENT_LOG.countField]: summary.sent,
    elapsedMs: summary.elapsedMs,
    partitions: summary.partitions,
  });
  return summary;
}

function amountDistributionEnv(raw: string | undefined): AmountDistribution | undefined {
  if (raw === undefined) return undefined;
  const known = AMOUNT_DISTRIBUTIONS.find((name) => name === raw);
  if (known === undefined) {
    throw new ConfigError(
      `AMOUNT_DISTRIBUTION must be one of ${AMOUNT_DISTRIBUTIONS.join(', ')}, got "${raw}"`,
    );
  }
  return known;
}

/** Disconnects the producer: for the local runtime and tests; Lambda never calls it. */
export async function disconnect(): Promise<void> {
  await producer.discard();
}
