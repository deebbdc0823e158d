import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrate } from '../../../db/migrate.js';
import type { RetryInfo } from '../../../local/esm/event-lines.js';
import { createTopic } from '../../../local/infra/kafka/admin.js';
import { type LocalPostgres, startEmbeddedPostgres } from '../../../local/infra/postgres/embedded.js';
import { testKafka } from '../support/kafka.js';
import { uniqueTopic } from '../support/test-database.js';
import { expectExactTotals, readTopic } from './support/ground-truth.js';
import { type AggregatorUnderTest, emulatorFor, loadAggregator } from './support/in-process.js';
import { LiveProducer } from './support/live-producer.js';
import { streamThroughFault } from './support/live-stream.js';
import { faultSeed } from './support/seeded-random.js';

// Within the 10–20 s the issue asks for, and long enough for several backoff steps (0.5, 1, 2, 4, 8 s).
const OUTAGE_MS = 12_000;
// The emulator's documented backoff (docs/ESM-EMULATOR.md): 0.5 s, doubling, at most 15 s.
const BACKOFF = { initial: 500, max: 15_000 };

// A PostgreSQL of this test's own: stopping the shared one would take the other tests' database down.
let server: LocalPostgres;
let pool: pg.Pool;
let aggregator: AggregatorUnderTest;

beforeAll(async () => {
  server = await startEmbeddedPostgres({ restartable: true });
  pool = new pg.Pool({ connectionString: server.url, max: 2 });
  pool.on('error', () => undefined);
  const client = await pool.connect();
  await migrate(client).finally(() => client.release());
  aggregator = await loadAggregator(server.url);
});

afterAll(async () => {
  await aggregator?.closeConnections();
  await pool?.end();
  await server?.stop();
});

/** The most failed attempts one batch can make while the database is down for `outageMs`. */
function mostAttempts(outageMs: number): number {
  let attempts = 1;
  let waited = 0;
  let delay = BACKOFF.initial;
  // One more attempt fits whenever the backoff so far is within the outage (and a second of slack for
  // the shutdown and start of the server themselves).
  while (waited + delay <= outageMs + 1_000) {
    waited += delay;
    delay = Math.min(BACKOFF.max, delay * 2);
    attempts++;
  }
  return attempts;
}

describe('PostgreSQL stopped for 12 s in the middle of a live stream, then started again', () => {
  it('fails the batches while it is down, retries them with backoff without spinning, skips nothing', async () => {
    // Prepare
    const brokers = inject('kafkaBrokers').split(',');
    const topic = uniqueTopic();
    const groupId = `${topic}-aggregator`;
    await createTopic(brokers, topic, 3);
    const producer = await LiveProducer.start({ brokers, topic, ratePerSecond: 300, seed: faultSeed() });
    let down = false;
    let invocationsWhileDown = 0;
    const retries: RetryInfo[] = [];
    const emulator = emulatorFor(
      testKafka(brokers.join(',')),
      topic,
      groupId,
      (event) => {
        if (down) invocationsWhileDown++;
        return aggregator.handler(event);
      },
      { onRetry: (info) => retries.push(info) },
    );
    let outageMs = 0;

    // Act
    await streamThroughFault({
      brokers,
      topic,
      groupId,
      pool,
      producer,
      emulator,
      fault: async () => {
        const from = Date.now();
        await server.stopServer();
        down = true;
        await sleep(OUTAGE_MS);
        await server.startServer();
        down = false;
        outageMs = Date.now() - from;
      },
      drainTimeoutMs: 60_000,
    });
    const topicContents = await readTopic(brokers, topic);
    console.log(
      `database-outage: ${(outageMs / 1000).toFixed(1)} s down; ${retries.length} retries ` +
        `(${retries.map((r) => `p${r.partition}#${r.attempt}+${r.delayMs}ms`).join(' ')}); ` +
        `${invocationsWhileDown} invocations while down; ${producer.acknowledged} deals`,
    );

    // Assess: the handler threw and the batches were retried, none skipped.
    expect(retries.length).toBeGreaterThan(0);
    expect(emulator.stats.retries).toBe(retries.length);
    // Each failing batch was retried in order, waiting 0.5 s, 1 s, 2 s, … (the same records each time),
    // so a 12 s outage costs each partition a handful of attempts: the emulator does not spin hot.
    const perBatch = new Map<string, RetryInfo[]>();
    for (const retry of retries) {
      const batch = `partition ${retry.partition} from ${retry.fromOffset}`;
      perBatch.set(batch, [...(perBatch.get(batch) ?? []), retry]);
    }
    const limit = mostAttempts(outageMs);
    for (const [batch, attempts] of perBatch) {
      expect(
        attempts.map((a) => a.attempt),
        batch,
      ).toEqual(attempts.map((_, i) => i + 1));
      expect(
        attempts.map((a) => a.delayMs),
        batch,
      ).toEqual(attempts.map((_, i) => Math.min(BACKOFF.max, BACKOFF.initial * 2 ** i)));
      expect(attempts.length, batch).toBeLessThanOrEqual(limit);
    }
    const partitions = new Set(retries.map((retry) => retry.partition)).size;
    expect(invocationsWhileDown).toBeLessThanOrEqual(partitions * limit);
    // Nothing lost or double-counted; every offset applied once.
    expect(producer.failures).toEqual([]);
    expect(topicContents.truth).toEqual(producer.truth);
    await expectExactTotals(pool, producer.truth, topic, topicContents.ends);
  });
});
