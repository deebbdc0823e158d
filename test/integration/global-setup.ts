import type { TestProject } from 'vitest/node';
import { startKafkaBroker } from '../../local/infra/kafka/broker.js';
import { startEmbeddedPostgres } from '../../local/infra/postgres/embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    databaseUrl: string;
  }
}

/**
 * One real Kafka broker and one real PostgreSQL for all integration tests (or the ones KAFKA_BROKERS
 * and DATABASE_URL name). Each test makes its own topic and its own database on them.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const givenBrokers = process.env.KAFKA_BROKERS;
  const givenDatabase = process.env.DATABASE_URL;
  const [broker, database] = await Promise.all([
    givenBrokers
      ? undefined
      : startKafkaBroker({ log: (line) => process.env.DEBUG_KAFKA && console.log(line) }),
    givenDatabase ? undefined : startEmbeddedPostgres(),
  ]);
  project.provide('kafkaBrokers', givenBrokers ?? broker?.brokers.join(',') ?? '');
  project.provide('databaseUrl', givenDatabase ?? database?.url ?? '');
  return async () => {
    await Promise.allSettled([broker?.stop(), database?.stop()]);
  };
}
