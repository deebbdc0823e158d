import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FaultPoint } from '../../../local/esm/emulator.js';
import { createTopic } from '../../../local/infra/kafka/admin.js';
import { testKafka, waitFor } from '../support/kafka.js';
import { createTestDatabase, type TestDatabase, uniqueTopic } from '../support/test-database.js';
import { ConsumerProcess } from './support/consumer-process.js';
import { expectExactTotals, readTopic } from './support/ground-truth.js';
import { appliedBatches } from './support/in-process.js';
import { LiveProducer } from './support/live-producer.js';
import { between, faultSeed, seededRandom, shuffled } from './support/seeded-random.js';

type Kill = FaultPoint | 'mid-transaction' | 'random-moment';
const KILLS: readonly Kill[] = [
  'before-invoke',
  'mid-transaction',
  'after-invoke-before-commit',
  'after-commit',
  'random-moment',
];

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'));
  // A killed client's backend, waiting on a lock, would otherwise live on until it next writes to
  // the dead socket (and then it would commit). With this PostgreSQL notices the dead client while
  // the statement waits and rolls it back, as a Lambda timeout or a crashed container leaves it.
  const name = new URL(database.url).pathname.slice(1);
  await database.pool.query(`ALTER DATABASE ${name} SET client_connection_check_interval = '250ms'`);
});

afterAll(async () => {
  await database?.drop();
});

describe('the consumer killed with SIGKILL at random points of a live stream, then restarted', () => {
  it('keeps exact totals: before the handler, mid-transaction, after the database commit, after the offset commit, at a random moment', async () => {
    // Prepare: a live stream; the consumer is `npm start -- --no-produce` in a process of its own.
    const seed = faultSeed();
    const random = seededRandom(seed);
    console.log(`consumer-kill FAULT_SEED=${seed}`);
    const brokers = inject('kafkaBrokers');
    const topic = uniqueTopic();
    const groupId = `${topic}-aggregator`;
    await createTopic(brokers.split(','), topic, 3);
    const env = { KAFKA_BROKERS: brokers, DATABASE_URL: database.url, TOPIC: topic };
    const args = ['--no-produce', '--quiet', '--group', groupId, '--batch-size', '100', '--window', '0.2'];
    const producer = await LiveProducer.start({
      brokers: brokers.split(','),
      topic,
      ratePerSecond: 300,
      seed,
    });
    const kills: string[] = [];

    // Act: one kill of each kind, in a random order, at a random invocation.
    try {
      for (const kill of shuffled(random, KILLS)) {
        if (kill === 'mid-transaction') kills.push(await killMidTransaction(args, env));
        else if (kill === 'random-moment') kills.push(await killAtRandomMoment(args, env, random));
        else kills.push(await killAtFaultPoint(args, env, kill, between(random, 1, 6), topic, groupId));
      }
    } finally {
      await producer.stop();
    }
    const last = await new ConsumerProcess([...args, '--duration', '1'], env).exitWithin(120_000);
    const topicContents = await readTopic(brokers.split(','), topic);

    // Assess
    console.log(`consumer-kill: ${kills.join('; ')}; ${producer.acknowledged} deals`);
    expect(last.code, last.output).toBe(0);
    expect(producer.failures).toEqual([]);
    expect(topicContents.duplicateIds).toEqual([]);
    expect(topicContents.notDeals).toBe(0);
    expect(topicContents.truth).toEqual(producer.truth);
    await expectExactTotals(database.pool, producer.truth, topic, topicContents.ends);
  });
});

/** ESM_FAULT: the consumer kills itself at the point of its n-th invocation. */
async function killAtFaultPoint(
  args: readonly string[],
  env: Record<string, string>,
  point: FaultPoint,
  invocation: number,
  topic: string,
  groupId: string,
): Promise<string> {
  const consumer = new ConsumerProcess(args, { ...env, ESM_FAULT: `${point}:${invocation}` });
  const exit = await consumer.exitWithin(60_000);
  expect(exit.signal, exit.output).toBe('SIGKILL');
  if (point === 'after-invoke-before-commit') {
    // The window that matters was hit: the database is ahead of the group's committed offsets.
    expect(await appliedOffsets(topic)).toBeGreaterThan(
      await committedOffsets(env.KAFKA_BROKERS, topic, groupId),
    );
  }
  return `${point} of invocation ${invocation}`;
}

/**
 * While the test holds a lock on currency_position, every apply_batch stops in the middle of its
 * transaction (batch, flow and checkpoint rows written, positions not yet). The consumer is killed
 * there; the server rolls the orphaned transactions back; none of their rows remains.
 */
async function killMidTransaction(args: readonly string[], env: Record<string, string>): Promise<string> {
  const holder = await database.pool.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE currency_position IN SHARE MODE');
    const batchesBefore = await appliedBatches(database.pool);
    const consumer = new ConsumerProcess(args, env);
    let blocked: number[] = [];
    await waitFor(
      async () => {
        blocked = await waitingApplyBatches();
        return blocked.length > 0 || !consumer.running;
      },
      60_000,
      'an apply_batch waiting in the middle of its transaction',
    );
    expect(consumer.running, consumer.output).toBe(true);
    const exit = await consumer.kill();
    expect(exit.signal).toBe('SIGKILL');
    await waitFor(
      async () => {
        const alive = await database.pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1::int[])', [
          blocked,
        ]);
        return alive.rowCount === 0;
      },
      10_000,
      'the server to roll back the killed consumer’s transactions',
    );
    await holder.query('ROLLBACK');
    expect(await appliedBatches(database.pool)).toBe(batchesBefore);
    return `mid-transaction (${blocked.length} apply_batch rolled back)`;
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined);
    holder.release();
  }
}

/** An external SIGKILL at a random moment after the consumer has started applying batches. */
async function killAtRandomMoment(
  args: readonly string[],
  env: Record<string, string>,
  random: () => number,
): Promise<string> {
  const batchesBefore = await appliedBatches(database.pool);
  const consumer = new ConsumerProcess(args, env);
  await waitFor(
    async () => (await appliedBatches(database.pool)) > batchesBefore || !consumer.running,
    60_000,
    'the consumer to apply a batch',
  );
  const delayMs = between(random, 0, 1_500);
  await sleep(delayMs);
  const exit = await consumer.kill();
  expect(exit.signal, exit.output).toBe('SIGKILL');
  return `random moment (${delayMs} ms after its first batch)`;
}

async function waitingApplyBatches(): Promise<number[]> {
  const result = await database.pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
     WHERE datname = current_database() AND application_name = 'treasury-stream'
       AND wait_event_type = 'Lock' AND query LIKE 'SELECT apply_batch%'`,
  );
  return result.rows.map((row) => row.pid);
}

async function appliedOffsets(topic: string): Promise<number> {
  const result = await database.pool.query<{ next: string | null }>(
    'SELECT sum(next_offset)::text AS next FROM partition_checkpoint WHERE topic = $1',
    [topic],
  );
  return Number(result.rows[0]?.next ?? 0);
}

async function committedOffsets(
  brokers: string | undefined,
  topic: string,
  groupId: string,
): Promise<number> {
  const admin = testKafka(brokers ?? '').admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (committed?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}
