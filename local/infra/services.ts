import pg from 'pg';
import { DEFAULT_SETTINGS } from '../../contracts/settings.js';
import { migrate } from '../../db/migrate.js';
import { optionalEnv } from '../../lambda/adapters/env.js';
import { loadExampleLimits } from '../run/example-limits.js';
import { checkGivenBrokers, checkGivenDatabase, redact } from './given-services.js';
import { createTopic, waitForProducerIds } from './kafka/admin.js';
import { startKafkaBroker } from './kafka/broker.js';
import { kafkaPrerequisites } from './kafka/distribution.js';
import { startEmbeddedPostgres } from './postgres/embedded.js';

/** The topic; TOPIC overrides it (the integration tests give each test a topic of its own). */
export const TOPIC = process.env.TOPIC?.trim() || DEFAULT_SETTINGS.streaming.topic;
export const PARTITIONS = DEFAULT_SETTINGS.streaming.topicPartitions;

/** The broker and the database the local pipeline runs on, started here or given by the environment. */
export interface LocalServices {
  readonly brokers: readonly string[];
  readonly databaseUrl: string;
  /** True when the broker was started for this run (so its topic holds only this run's records). */
  readonly embeddedKafka: boolean;
  readonly embeddedPostgres: boolean;
  /** The embedded broker's data folder (undefined for KAFKA_BROKERS): the local dashboard's broker disk. */
  readonly brokerDataDir: string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts a real Kafka broker (unless KAFKA_BROKERS is set) and a real PostgreSQL (unless DATABASE_URL
 * is set), creates the topic and applies the migrations. A given database is left running with its
 * tables; what was started here is stopped by stop(). Example limits and rates go into an embedded
 * database always, into a given one only when `exampleLimits` asks for them.
 */
export async function startLocalServices(
  log: (line: string) => void,
  brokerLog: (line: string) => void = log,
  exampleLimits = false,
): Promise<LocalServices> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne().catch(() => undefined);
  };
  try {
    const givenBrokers = optionalEnv(process.env, 'KAFKA_BROKERS');
    const givenDatabase = optionalEnv(process.env, 'DATABASE_URL');

    // Checked before anything starts: a missing tool or a wrong setting is one line within seconds.
    await Promise.all([
      givenBrokers ? checkGivenBrokers(givenBrokers.split(',').map((b) => b.trim())) : kafkaPrerequisites(),
      givenDatabase ? checkGivenDatabase(givenDatabase) : undefined,
    ]);
    // Settled both, so that one that started is stopped when the other failed.
    const [kafkaStart, databaseStart] = await Promise.allSettled([
      givenBrokers
        ? Promise.resolve({
            brokers: givenBrokers.split(',').map((b) => b.trim()),
            dataDir: undefined,
            stop: async () => undefined,
          })
        : startKafkaBroker({ log: brokerLog }),
      givenDatabase
        ? Promise.resolve({ url: givenDatabase, stop: async () => undefined })
        : startEmbeddedPostgres(),
    ]);
    for (const start of [kafkaStart, databaseStart]) {
      if (start.status === 'fulfilled') stops.push(() => start.value.stop());
    }
    if (kafkaStart.status === 'rejected') throw kafkaStart.reason;
    if (databaseStart.status === 'rejected') throw databaseStart.reason;
    const [kafka, database] = [kafkaStart.value, databaseStart.value];
    log(
      givenBrokers
        ? `Kafka: ${givenBrokers} (KAFKA_BROKERS)`
        : `Kafka: embedded broker on ${kafka.brokers.join(',')}`,
    );
    log(givenDatabase ? 'PostgreSQL: DATABASE_URL' : `PostgreSQL: embedded on ${redact(database.url)}`);

    await createTopic(kafka.brokers, TOPIC, PARTITIONS);
    await waitForProducerIds(kafka.brokers);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const applied = await migrate(client);
      log(applied.length > 0 ? `migrations applied: ${applied.join(', ')}` : 'schema up to date');
      if (!givenDatabase || exampleLimits) log(await loadExampleLimits(client));
    } finally {
      await client.end();
    }
    return {
      brokers: kafka.brokers,
      databaseUrl: database.url,
      embeddedKafka: !givenBrokers,
      embeddedPostgres: !givenDatabase,
      brokerDataDir: kafka.dataDir,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export { redact } from './given-services.js';
