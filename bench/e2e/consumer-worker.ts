/**
 * Entry point of the consumer process (forked by bench/e2e/aggregator-system.ts): the aggregator as
 * Lambda runs it, its bundle under the Runtime Interface Emulator and the runtime client, one execution
 * environment per partition (the mapping's concurrency), configured as the stack configures it (JSON
 * logs and EMF metrics on, read from its stdout and dropped here), or, for the baseline of the
 * financial result's cost, the same with the result off (result-off-handler.ts); and the event poller
 * that invokes them, Kafka's Java consumer in a process of its own (poller/java-event-poller.ts). The
 * handler reads its configuration at module load, so it gets a fresh process with this run's database.
 */
import { Kafka, logLevel } from 'kafkajs';
import { quietKafkaLogCreator } from '../../local/infra/kafka/admin.js';
import { LocalFunction } from '../../local/lambda-runtime/local-function.js';
import { runWorker } from './child-processes.js';
import { BATCH_SIZE, BENCH_CONSUMER_GROUP, BENCH_PARTITIONS, MAX_EVENT_BYTES, WINDOW_MS } from './plan.js';
import { JavaEventPoller } from './poller/java-event-poller.js';
import {
  type ConsumerCommand,
  type ConsumerMessage,
  consumerFunction,
  readConsumerWorkerEnv,
} from './worker-messages.js';

async function main(): Promise<void> {
  const env = readConsumerWorkerEnv(process.env);
  const send = (message: ConsumerMessage) => process.send?.(message);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const aggregator = await LocalFunction.create({
    definition: consumerFunction(env.result),
    localEnvironment: { DATABASE_URL: env.databaseUrl },
    maxConcurrency: BENCH_PARTITIONS,
    log,
  });
  const kafka = new Kafka({
    clientId: 'bench-consumer',
    brokers: [...env.brokers],
    logLevel: logLevel.WARN,
    logCreator: quietKafkaLogCreator,
  });
  const admin = kafka.admin();
  await admin.connect();
  const { clusterId } = await admin.describeCluster();
  await admin.disconnect();
  // The consumer's start, as the catch-up rate counts from it: the environments' cold starts included.
  send({ type: 'starting', at: Date.now() });
  const invokeUrls = await aggregator.leaseAll();
  const poller = await JavaEventPoller.start({
    brokers: env.brokers,
    topic: env.topic,
    groupId: BENCH_CONSUMER_GROUP,
    eventSourceArn: `arn:aws:kafka:local:000000000000:cluster/treasury-stream-bench/${clusterId}`,
    batchSize: BATCH_SIZE,
    windowMs: WINDOW_MS,
    maxBytes: MAX_EVENT_BYTES,
    invokeUrls,
    log,
    onRetry: (retry) => send({ type: 'retry', ...retry }),
    onFailure: (reason) => {
      send({ type: 'error', message: reason });
      void aggregator.stop().finally(() => process.exit(1));
    },
  });
  process.on('message', (message: ConsumerCommand) => {
    if (message.type !== 'stop') return;
    void (async () => {
      const stats = await poller.stop();
      await aggregator.stop();
      if (stats === undefined)
        throw new Error(poller.failure() ?? 'the Java event poller did not report its counts');
      send({
        type: 'stopped',
        invocations: stats.invocations,
        retries: stats.retries,
        rebalances: stats.rebalances,
        // The environments' first starts, and a start after each timeout (the emulator restarts the runtime).
        coldStarts: aggregator.stats.coldStarts + stats.functionTimeouts,
        functionErrors: stats.functionErrors,
        functionTimeouts: stats.functionTimeouts,
      });
      process.exit(0);
    })().catch((error: unknown) => {
      send({ type: 'error', message: String(error) });
      process.exit(1);
    });
  });
  process.on('disconnect', () => {
    void Promise.allSettled([poller.stop(), aggregator.stop()]).finally(() => process.exit(1));
  });
}

runWorker(main);
