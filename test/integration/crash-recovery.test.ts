import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TransactionGenerator } from '../../lambda/domain/generator.js';
import { readFlowTotals, readPositions } from '../../local/totals.js';
import { runCli } from './support/cli.js';
import { produce, testKafka } from './support/kafka.js';
import { addToTruth, type Truth } from './support/records.js';
import { createTestDatabase, type TestDatabase, uniqueTopic } from './support/test-database.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'));
});

afterAll(async () => {
  await database?.drop();
});

describe('a consumer killed between the database commit and the offset commit', () => {
  it('neither loses nor double-counts a deal after it restarts', async () => {
    // Prepare
    const brokers = inject('kafkaBrokers');
    const topic = uniqueTopic();
    const groupId = `${topic}-aggregator`;
    const generator = new TransactionGenerator({ seed: 3 });
    const truth: Truth = new Map();
    const messages: Message[] = Array.from({ length: 2_000 }, () => {
      const deal = generator.next();
      addToTruth(truth, deal.branch, deal.currency, deal.amount);
      return { key: deal.branch, value: JSON.stringify(deal) };
    });
    await produce(brokers, topic, messages);
    const env = { KAFKA_BROKERS: brokers, DATABASE_URL: database.url, TOPIC: topic };
    const args = [
      '--no-produce',
      '--quiet',
      '--duration',
      '1',
      '--group',
      groupId,
      '--batch-size',
      '200',
      '--window',
      '0.2',
    ];

    // Act: the second invocation's transaction commits, then the process dies before committing offsets.
    const crashed = await runCli(args, { ...env, ESM_FAULT: 'after-invoke-before-commit:2' }, 90_000);
    const applied = await database.pool.query<{ next: string }>(
      'SELECT sum(next_offset)::text AS next FROM partition_checkpoint WHERE topic = $1',
      [topic],
    );
    const admin = testKafka(brokers).admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    const committedSum = (committed?.partitions ?? []).reduce(
      (sum, p) => sum + Math.max(0, Number(p.offset)),
      0,
    );
    const restarted = await runCli(args, env, 120_000);

    // Assess: the crash happened in the window that matters: the database is ahead of the group.
    expect(crashed.signal).toBe('SIGKILL');
    expect(Number(applied.rows[0]?.next)).toBeGreaterThan(committedSum);
    expect(restarted.code, restarted.output).toBe(0);
    expect(await readPositions(database.pool)).toEqual(truth);
    expect(await readFlowTotals(database.pool)).toEqual(truth);
  });
});
