import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { producerFunction } from '../../contracts/functions.js';
import { PRODUCER_SCHEDULE_SECONDS } from '../../contracts/producer.js';
import { migrate } from '../../db/migrate.js';
import { optionalEnv } from '../../lambda/adapters/env.js';
import { seededRandom } from '../../lambda/domain/generator.js';
import type { ProducerSummary } from '../../lambda/producer/handler.js';
import { createTopic, groupLag, waitForProducerIds } from '../infra/kafka/admin.js';
import { type KafkaBroker, startKafkaBroker } from '../infra/kafka/broker.js';
import { type LocalPostgres, startEmbeddedPostgres } from '../infra/postgres/embedded.js';
import { PARTITIONS } from '../infra/services.js';
import { LocalFunction } from '../lambda-runtime/local-function.js';
import { runScript } from '../support/child-process.js';
import { readTopicContents } from '../verify/topic-truth.js';
import { ConsumerChaos, type Retry } from './consumer-chaos.js';
import { proveSoak, type SoakResult } from './soak-report.js';

export interface SoakOptions {
  readonly durationSeconds: number;
  readonly ratePerSecond: number;
  readonly killEverySeconds: number;
  readonly dbOutageSeconds: number;
  readonly dbOutageAtSeconds: number | undefined;
  readonly batchSize: number;
  readonly windowSeconds: number;
  readonly drainTimeoutSeconds: number;
  readonly seed: number;
  readonly quiet: boolean;
}

const SAMPLE_EVERY_MS = 2_000;
const STATUS_EVERY_MS = 10_000;

/** What every consumer of the soak is started with (`npm start` as the consumer side only). */
function consumerArgs(groupId: string, options: SoakOptions): string[] {
  const limits = ['--batch-size', String(options.batchSize), '--window', String(options.windowSeconds)];
  return ['--no-produce', '--quiet', '--group', groupId, ...limits];
}

/**
 * Runs the soak: a producer at a steady rate, consumers killed at random, one database outage, then
 * the proof that every total is exact. `print` gets the progress (unless quiet) and the summary.
 */
export async function runSoak(options: SoakOptions, print: (line: string) => void): Promise<SoakResult> {
  const random = seededRandom(options.seed);
  const say = options.quiet ? () => undefined : print;
  const hex = randomBytes(4).toString('hex');
  const givenBrokers = optionalEnv(process.env, 'KAFKA_BROKERS');
  const topic = optionalEnv(process.env, 'TOPIC') ?? `soak-${hex}`;
  const groupId = `soak-${hex}-aggregator`;
  say(`soak: seed ${options.seed}, topic ${topic}, group ${groupId}`);

  let broker: KafkaBroker | undefined;
  let database: LocalPostgres | undefined;
  let chaos: ConsumerChaos | undefined;
  let admin: Admin | undefined;
  let producer: LocalFunction | undefined;
  try {
    [broker, database] = await Promise.all([
      givenBrokers ? undefined : startKafkaBroker({ log: say }),
      startEmbeddedPostgres({ restartable: true }),
    ]);
    const db = database;
    const brokers = givenBrokers?.split(',').map((b) => b.trim()) ?? broker?.brokers ?? [];
    await createTopic(brokers, topic, PARTITIONS);
    const setup = new pg.Client({ connectionString: db.url });
    await setup.connect();
    await migrate(setup).finally(() => setup.end());
    producer = await loadProducer(brokers, topic);
    const kafka = new Kafka({ clientId: 'soak', brokers: [...brokers], logLevel: logLevel.NOTHING });
    const connected = kafka.admin();
    admin = connected;
    await connected.connect();

    const startedAt = Date.now();
    const elapsed = () => (Date.now() - startedAt) / 1000;
    const consumerEnv = { KAFKA_BROKERS: brokers.join(','), DATABASE_URL: db.url, TOPIC: topic };
    const consumers = new ConsumerChaos(
      consumerArgs(groupId, options),
      consumerEnv,
      random,
      options,
      (line) => say(`[${elapsed().toFixed(0)}s] ${line}`),
    );
    chaos = consumers;

    const lag = { max: 0, inTopic: 0, productionEndedAt: undefined as number | undefined, caughtUpAt: 0 };
    const sampler = setInterval(() => {
      void groupLag(connected, topic, groupId)
        .then((now) => {
          lag.max = Math.max(lag.max, now.lag);
          lag.inTopic = now.inTopic;
          if (lag.productionEndedAt !== undefined && now.lag === 0) lag.caughtUpAt ||= Date.now();
        })
        .catch(() => undefined);
    }, SAMPLE_EVERY_MS);
    const status = setInterval(() => {
      say(
        `[${elapsed().toFixed(0)}s] in topic ${lag.inTopic.toLocaleString('en-US')} · max lag ${lag.max.toLocaleString('en-US')} · ` +
          `kills ${consumers.killCount} · retries ${consumers.retries.length}`,
      );
    }, STATUS_EVERY_MS);

    // The database outage, once, in the middle of the run, while a consumer is up and applying.
    const outageAt = options.dbOutageAtSeconds ?? options.durationSeconds * (0.35 + 0.3 * random());
    const outage: { from?: number; to?: number; retries: Retry[] } = { retries: [] };
    const outageDone = (async () => {
      if (options.dbOutageSeconds <= 0) return;
      while (elapsed() < outageAt) await sleep(200);
      // Up long enough to be past its group join: the outage must meet a consumer that is applying.
      await consumers.calm(15_000);
      const retriesBefore = consumers.retries.length;
      outage.from = Date.now();
      say(`[${elapsed().toFixed(0)}s] database stopped for ${options.dbOutageSeconds} s`);
      await db.stopServer();
      await sleep(options.dbOutageSeconds * 1000);
      await db.startServer();
      outage.to = Date.now();
      say(`[${elapsed().toFixed(0)}s] database started again`);
      // Count the retries the outage caused, until the consumer is through its backoff: a backoff that
      // doubles is at most as long as the outage was (and at most 15 s).
      await sleep(Math.min(options.dbOutageSeconds + 1, 16) * 1000);
      outage.retries = consumers.retries.slice(retriesBefore);
      consumers.chaos();
    })();

    const { summaries, failures } = await produceFor(
      producer,
      startedAt + options.durationSeconds * 1000,
      options,
      say,
    );
    const producedForSeconds = elapsed();
    const productionEndedAt = Date.now();
    lag.productionEndedAt = productionEndedAt;
    await outageDone;

    // Drain: no more kills; wait until the group and the database stand at the topic's end.
    await consumers.calm(0);
    let drained = false;
    while (Date.now() - productionEndedAt < options.drainTimeoutSeconds * 1000) {
      const now = await groupLag(connected, topic, groupId).catch(() => undefined);
      if (now && now.lag === 0) {
        lag.caughtUpAt ||= Date.now();
        drained = true;
        break;
      }
      await sleep(500);
    }
    const drainSeconds = ((lag.caughtUpAt || Date.now()) - productionEndedAt) / 1000;
    clearInterval(sampler);
    clearInterval(status);
    await consumers.finish();
    // The last consumer: waits a second, finds nothing left, checks flow sums against positions, exits 0.
    const lastArgs = consumerArgs(groupId, options);
    lastArgs.splice(2, 0, '--duration', '1');
    const lastConsumer = await runScript('local/run/cli.ts', lastArgs, { env: consumerEnv });

    const contents = await readTopicContents(kafka, topic);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { result, summary } = await proveSoak(client, topic, contents, {
        ratePerSecond: options.ratePerSecond,
        seed: options.seed,
        startedAt,
        producedForSeconds,
        summaries,
        producerFailures: failures,
        kills: consumers.kills,
        consumerStarts: consumers.starts,
        selfExits: consumers.selfExits,
        retries: consumers.retries,
        outage,
        maxLag: lag.max,
        drained,
        drainTimeoutSeconds: options.drainTimeoutSeconds,
        drainSeconds,
        lastConsumer,
      });
      for (const line of summary) print(line);
      return result;
    } finally {
      await client.end();
    }
  } finally {
    await chaos?.finish().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await producer?.stop().catch(() => undefined);
    await database?.stop().catch(() => undefined);
    await broker?.stop().catch(() => undefined);
  }
}

/** The producer function as Lambda runs it (its bundle under the runtime emulator), on this topic. */
async function loadProducer(brokers: readonly string[], topic: string): Promise<LocalFunction> {
  await waitForProducerIds(brokers);
  return LocalFunction.create({
    definition: producerFunction({ ratePerSecond: 1, durationSeconds: PRODUCER_SCHEDULE_SECONDS }),
    localEnvironment: { KAFKA_BROKERS: brokers.join(','), TOPIC: topic },
    maxConcurrency: 1,
  });
}

/** Invokes the producer back to back, a schedule's minute at a time, until endAt. */
async function produceFor(
  producer: LocalFunction,
  endAt: number,
  options: SoakOptions,
  say: (line: string) => void,
): Promise<{ summaries: ProducerSummary[]; failures: string[] }> {
  const summaries: ProducerSummary[] = [];
  const failures: string[] = [];
  while (Date.now() < endAt) {
    const durationSeconds = Math.min(PRODUCER_SCHEDULE_SECONDS, (endAt - Date.now()) / 1000);
    if (durationSeconds < 0.1) break;
    try {
      // A manual invocation's settings: back-to-back runs at the soak's rate, not the schedule's.
      const summary = await producer.invoke({ durationSeconds, ratePerSecond: options.ratePerSecond });
      summaries.push(summary as ProducerSummary);
    } catch (error) {
      failures.push((error as Error).message);
      say(`producer invocation failed: ${(error as Error).message}`);
    }
  }
  return { summaries, failures };
}
