/**
 * Entry point of the consumer process (forked by bench/e2e/aggregator-system.ts): the ESM emulator
 * invoking the aggregator as Lambda runs it, its bundle under the Runtime Interface Emulator and the
 * runtime client, one execution environment per partition (the mapping's concurrency), configured as
 * the stack configures it (JSON logs and EMF metrics on, read from its stdout and dropped here), or, for
 * the baseline of the financial result's cost, the same with the result off (result-off-handler.ts).
 * The handler reads its configuration at module load, so it gets a fresh process with this run's database.
 */
import type { MSKEvent } from 'aws-lambda';
import { Kafka, logLevel } from 'kafkajs';
import { EsmEmulator } from '../../local/esm/emulator.js';
import { quietKafkaLogCreator } from '../../local/infra/kafka/admin.js';
import { LocalFunction } from '../../local/lambda-runtime/local-function.js';
import { runWorker } from './child-processes.js';
import { BATCH_SIZE, BENCH_CONSUMER_GROUP, BENCH_PARTITIONS, MAX_EVENT_BYTES, WINDOW_MS } from './plan.js';
import {
  type ConsumerCommand,
  type ConsumerMessage,
  consumerFunction,
  readConsumerWorkerEnv,
} from './worker-messages.js';

async function main(): Promise<void> {
  const env = readConsumerWorkerEnv(process.env);
  const send = (message: ConsumerMessage) => process.send?.(message);
  const aggregator = await LocalFunction.create({
    definition: consumerFunction(env.result),
    localEnvironment: { DATABASE_URL: env.databaseUrl },
    maxConcurrency: BENCH_PARTITIONS,
  });
  const kafka = new Kafka({
    clientId: 'esm-emulator',
    brokers: [...env.brokers],
    logLevel: logLevel.WARN,
    logCreator: quietKafkaLogCreator,
  });
  const admin = kafka.admin();
  await admin.connect();
  const { clusterId } = await admin.describeCluster();
  await admin.disconnect();
  const emulator = new EsmEmulator({
    kafka,
    topic: env.topic,
    groupId: BENCH_CONSUMER_GROUP,
    eventSourceArn: `arn:aws:kafka:local:000000000000:cluster/treasury-stream-bench/${clusterId}`,
    bootstrapServers: env.brokers.join(','),
    limits: { batchSize: BATCH_SIZE, windowMs: WINDOW_MS, maxBytes: MAX_EVENT_BYTES },
    startingPosition: 'TRIM_HORIZON',
    invoke: (event: MSKEvent) => aggregator.invoke(event),
    onRetry: (info) =>
      send({
        type: 'retry',
        partition: info.partition,
        fromOffset: String(info.fromOffset),
        attempt: info.attempt,
        error: (info.error as Error).message,
      }),
  });
  process.on('message', (message: ConsumerCommand) => {
    if (message.type !== 'stop') return;
    void (async () => {
      await emulator.stop();
      await aggregator.stop();
      const { coldStarts, errors, timeouts } = aggregator.stats;
      send({
        type: 'stopped',
        ...emulator.stats,
        coldStarts,
        functionErrors: errors,
        functionTimeouts: timeouts,
      });
      process.exit(0);
    })();
  });
  process.on('disconnect', () => {
    void aggregator.stop().finally(() => process.exit(1));
  });
  send({ type: 'starting', at: Date.now() });
  await emulator.start();
}

runWorker(main);
