/** The broker and the database a system is measured on: started for one measurement, then stopped. */
import pg from 'pg';
import { migrate } from '../../db/migrate.js';
import { createTopic } from '../../local/infra/kafka/admin.js';
import { startKafkaBroker } from '../../local/infra/kafka/broker.js';
import { startEmbeddedPostgres } from '../../local/infra/postgres/embedded.js';
import { BENCH_PARTITIONS, BENCH_TOPIC } from './plan.js';

export interface BenchServices {
  readonly brokers: readonly string[];
  readonly databaseUrl: string;
  stop(): Promise<void>;
}

/**
 * A real Kafka broker and an embedded PostgreSQL started for this run only (never KAFKA_BROKERS or
 * DATABASE_URL: the figures assume a topic holding only this run's records), the topic, the schema.
 */
export async function startBenchServices(log: (line: string) => void): Promise<BenchServices> {
  const [kafka, database] = await Promise.allSettled([
    // 1 GB: the broker holds a few million records in its page cache and index, not its heap, but
    // gzip decompression for validation allocates per batch.
    startKafkaBroker({ log: (line) => log(`kafka: ${line}`), heapMb: 1024 }),
    startEmbeddedPostgres(),
  ]);
  const stop = async () => {
    if (kafka.status === 'fulfilled') await kafka.value.stop().catch(() => undefined);
    if (database.status === 'fulfilled') await database.value.stop().catch(() => undefined);
  };
  if (kafka.status === 'rejected' || database.status === 'rejected') {
    await stop();
    throw kafka.status === 'rejected' ? kafka.reason : (database as PromiseRejectedResult).reason;
  }
  try {
    await createTopic(kafka.value.brokers, BENCH_TOPIC, BENCH_PARTITIONS);
    const client = new pg.Client({ connectionString: database.value.url });
    await client.connect();
    try {
      await migrate(client);
    } finally {
      await client.end();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { brokers: kafka.value.brokers, databaseUrl: database.value.url, stop };
}
