/**
 * Entry point of a producer process (forked by bench/e2e/producer-fleet.ts): a kafkajs producer
 * configured as lambda/producer's, running the harness's produce commands one after the other.
 * On two cores a producer in the consumer's event loop would slow the very thing measured.
 */
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { TransactionGenerator } from '../../lambda/domain/generator.js';
import { quietKafkaLogCreator } from '../../local/infra/kafka/broker.js';
import { runWorker } from './child-processes.js';
import { produceRun } from './produce-run.js';
import { type ProduceCommand, type ProducerMessage, readProducerWorkerEnv } from './worker-messages.js';

async function main(): Promise<void> {
  const { brokers, topic, index } = readProducerWorkerEnv(process.env);
  const kafka = new Kafka({
    clientId: `bench-producer-${index}`,
    brokers: [...brokers],
    logLevel: logLevel.WARN,
    logCreator: quietKafkaLogCreator,
  });
  // As lambda/producer: idempotent, one request in flight (so retries neither duplicate nor reorder).
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const generator = new TransactionGenerator({ seed: 1_000 + index, idPrefix: `bench-${index}` });
  const send = (message: ProducerMessage) => process.send?.(message);

  let queue = Promise.resolve();
  process.on('message', (command: ProduceCommand) => {
    queue = queue.then(async () => {
      try {
        send(await produceRun(producer, generator, topic, command));
      } catch (error) {
        send({ type: 'error', message: (error as Error).message });
      }
    });
  });
  process.on('disconnect', () => {
    void queue.then(() => producer.disconnect()).finally(() => process.exit(0));
  });
  send({ type: 'ready' });
}

runWorker(main);
