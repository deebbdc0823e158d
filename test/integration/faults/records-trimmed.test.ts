import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { aggregatorFunction } from '../../../contracts/functions.js';
import { METRICS } from '../../../contracts/telemetry/metrics.js';
import { OFFSET_GAP_LOG } from '../../../lambda/aggregator/offset-gap.js';
import { TransactionGenerator } from '../../../lambda/domain/generator.js';
import { emfCarries } from '../../../local/dashboard/metric-series.js';
import type { RetryInfo } from '../../../local/esm/event-lines.js';
import { FunctionError } from '../../../local/lambda-runtime/execution-environment.js';
import type { FunctionOutputLine } from '../../../local/lambda-runtime/function-output.js';
import { readWholeTopic } from '../../../local/verify/topic-truth.js';
import { readFlowTotals, readPositions } from '../../../local/verify/totals.js';
import { fullyCommitted, produce, testKafka, topicEnds, waitFor } from '../support/kafka.js';
import { addToTruth, type Truth } from '../support/records.js';
import { createTestDatabase, type TestDatabase, uniqueTopic } from '../support/test-database.js';
import { type AggregatorUnderTest, emulatorFor, loadAggregator } from './support/in-process.js';
import { runRecoveryCli } from './support/recovery-cli.js';

// Records trimmed before they were read: deleteRecords stands for retention (retention.ms/bytes).
const TRIMMED = 50;
const TRIMMED_PARTITION = 0;

let seed = 300;
function deals(count: number) {
  const generator = new TransactionGenerator({ seed: seed++, idPrefix: `t${seed}` });
  return Array.from({ length: count }, () => {
    const deal = generator.next();
    return { key: deal.branch, value: JSON.stringify(deal) };
  });
}

interface Setup {
  readonly database: TestDatabase;
  readonly aggregator: AggregatorUnderTest;
}

/** A database and an aggregator (refusing gaps, or with acceptOffsetGaps) for one test. */
function useSetup(acceptOffsetGaps: boolean): () => Setup {
  let setup: Setup | undefined;
  beforeAll(async () => {
    const database = await createTestDatabase(inject('databaseUrl'));
    const aggregator = await loadAggregator(database.url, {
      definition: aggregatorFunction({ acceptOffsetGaps }),
    });
    setup = { database, aggregator };
  });
  afterAll(async () => {
    await setup?.aggregator.closeConnections();
    await setup?.database.drop();
  });
  return () => {
    if (!setup) throw new Error('used before beforeAll');
    return setup;
  };
}

/**
 * A topic consumed up to its end; then, while the mapping is stopped, more deals and the first
 * TRIMMED of them in one partition deleted before anyone read them. Returns where that partition's
 * checkpoint stands (the first deleted offset), and the ground truth: the topic's deals as produced,
 * read back before the trim, without the trimmed ones (deleteRecords also removes the records below
 * them that were read and applied: those stay in the positions).
 */
async function topicWithUnreadRecordsTrimmed(
  setup: Setup,
  retries: RetryInfo[],
): Promise<{
  topic: string;
  groupId: string;
  trimmedFrom: number;
  truth: Truth;
  records: number;
  start: () => Promise<() => Promise<void>>;
}> {
  const brokers = inject('kafkaBrokers');
  const topic = uniqueTopic();
  const groupId = `${topic}-aggregator`;
  const start = async () => {
    const emulator = emulatorFor(testKafka(brokers), topic, groupId, setup.aggregator.handler, {
      retryBackoffMs: { initial: 200, max: 1_000 },
      onRetry: (info) => retries.push(info),
    });
    await emulator.start();
    return () => emulator.stop();
  };
  await produce(brokers, topic, deals(600));
  const stop = await start();
  await waitFor(() => fullyCommitted(brokers, topic, groupId), 90_000, 'the topic consumed').finally(stop);
  const trimmedFrom = (await topicEnds(brokers, topic)).get(TRIMMED_PARTITION) ?? 0;
  await produce(brokers, topic, deals(600));
  const truth: Truth = new Map();
  let records = 0;
  await readWholeTopic(testKafka(brokers), topic, (partition, offset, value) => {
    const trimmed =
      partition === TRIMMED_PARTITION && offset >= trimmedFrom && offset < trimmedFrom + TRIMMED;
    if (trimmed) return;
    // The generator's amounts are whole units; parsed here, not by the aggregator's code.
    const deal = JSON.parse(value?.toString('utf8') ?? '{}') as {
      branch: string;
      currency: string;
      amount: number;
    };
    addToTruth(truth, deal.branch, deal.currency, deal.amount);
    records++;
  });
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    // kafkajs looks the partition's leader up in metadata it must have loaded first.
    await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.deleteTopicRecords({
      topic,
      partitions: [{ partition: TRIMMED_PARTITION, offset: String(trimmedFrom + TRIMMED) }],
    });
  } finally {
    await admin.disconnect();
  }
  return { topic, groupId, trimmedFrom, truth, records, start };
}

function gapMetric(output: readonly FunctionOutputLine[]): number[] {
  return output.flatMap((line) =>
    line.kind === 'metrics' && emfCarries(line.document, METRICS.offsetGapRecords)
      ? [line.document[METRICS.offsetGapRecords.metricName] as number]
      : [],
  );
}

async function gapRows(database: TestDatabase) {
  const result = await database.pool.query(
    `SELECT kafka_partition, from_offset::int AS "from", to_offset::int AS "to", reason, recorded_at, batch_id
     FROM offset_gap`,
  );
  return result.rows;
}

/** Positions equal every deal but the trimmed ones; checkpoints at the topic's end; each record once. */
async function expectExactAfterTrim(
  database: TestDatabase,
  topic: string,
  truth: Truth,
  records: number,
): Promise<void> {
  const ends = await topicEnds(inject('kafkaBrokers'), topic);
  expect(await readPositions(database.pool)).toEqual(truth);
  expect(await readFlowTotals(database.pool)).toEqual(truth);
  const checkpoints = await database.pool.query<{ kafka_partition: number; next_offset: string }>(
    'SELECT kafka_partition, next_offset FROM partition_checkpoint',
  );
  expect(new Map(checkpoints.rows.map((r) => [r.kafka_partition, Number(r.next_offset)]))).toEqual(ends);
  const counted = await database.pool.query<{ n: string }>(
    'SELECT coalesce(sum(record_count), 0)::text AS n FROM applied_batch',
  );
  expect(Number(counted.rows[0]?.n)).toBe(records);
}

describe('records trimmed before they were read, gaps refused (the default)', () => {
  const setup = useSetup(false);

  it('stops the partition; the recovery names the missing offsets; the accepted loss is recorded and the partition resumes', async () => {
    // Prepare
    const { database, aggregator } = setup();
    const retries: RetryInfo[] = [];
    const { topic, groupId, trimmedFrom, truth, records, start } = await topicWithUnreadRecordsTrimmed(
      setup(),
      retries,
    );
    const brokers = inject('kafkaBrokers');
    const target = { brokers, databaseUrl: database.url, topic, groupId };
    const outputBefore = aggregator.output.length;

    // Act
    const stop = await start();
    let named: Awaited<ReturnType<typeof runRecoveryCli>>;
    let accepted: Awaited<ReturnType<typeof runRecoveryCli>>;
    let gapsBeforeAcceptance: unknown[];
    try {
      await waitFor(async () => retries.length >= 2, 60_000, 'the trimmed partition refused');
      await waitFor(
        async () => {
          const ends = await topicEnds(brokers, topic);
          const rows = await database.pool.query<{ kafka_partition: number; next_offset: string }>(
            'SELECT kafka_partition, next_offset FROM partition_checkpoint WHERE kafka_partition <> $1',
            [TRIMMED_PARTITION],
          );
          return rows.rows.every((r) => Number(r.next_offset) === ends.get(r.kafka_partition));
        },
        60_000,
        'the other partitions applied to their end',
      );
      named = await runRecoveryCli(target);
      gapsBeforeAcceptance = await gapRows(database);
      accepted = await runRecoveryCli(target, [
        '--accept-loss',
        '--reason',
        'test: trimmed by deleteRecords',
      ]);
      await waitFor(
        () => fullyCommitted(brokers, topic, groupId),
        60_000,
        'the topic consumed after acceptance',
      );
    } finally {
      await stop();
    }

    // Assess: only the trimmed partition stopped, on its gap, with the metric and the log line.
    expect(new Set(retries.map((r) => r.partition))).toEqual(new Set([TRIMMED_PARTITION]));
    for (const retry of retries) {
      expect(retry.error).toBeInstanceOf(FunctionError);
      expect((retry.error as FunctionError).errorType).toBe('OffsetGapError');
    }
    const output = aggregator.output.slice(outputBefore);
    expect(gapMetric(output)).toContain(TRIMMED);
    expect(output).toContainEqual(
      expect.objectContaining({
        kind: 'log',
        record: expect.objectContaining({
          message: OFFSET_GAP_LOG.refused,
          partition: TRIMMED_PARTITION,
          checkpoint: trimmedFrom,
          firstOffset: trimmedFrom + TRIMMED,
        }),
      }),
    );
    // The recovery without acceptance names the offsets and why, exits 2, records nothing.
    expect(named.code, named.output).toBe(2);
    expect(named.output).toContain(
      `partition ${topic}-${TRIMMED_PARTITION}: checkpoint ${trimmedFrom}: offsets ${trimmedFrom}..${trimmedFrom + TRIMMED - 1} are missing (retention:`,
    );
    expect(gapsBeforeAcceptance).toEqual([]);
    // The acceptance records the loss with its time and reason; the partition resumed; nothing else lost.
    expect(accepted.code, accepted.output).toBe(0);
    expect(await gapRows(database)).toEqual([
      {
        kafka_partition: TRIMMED_PARTITION,
        from: trimmedFrom,
        to: trimmedFrom + TRIMMED - 1,
        reason: expect.stringMatching(
          /^test: trimmed by deleteRecords \(accepted by an operator; retention: /,
        ),
        recorded_at: expect.any(Date),
        batch_id: null,
      },
    ]);
    await expectExactAfterTrim(database, topic, truth, records);
  });
});

describe('records trimmed before they were read, with acceptOffsetGaps', () => {
  const setup = useSetup(true);

  it('applies the batch past the gap, records the gap and emits the metric the alarm watches', async () => {
    // Prepare
    const { database, aggregator } = setup();
    const retries: RetryInfo[] = [];
    const { topic, groupId, trimmedFrom, truth, records, start } = await topicWithUnreadRecordsTrimmed(
      setup(),
      retries,
    );
    const outputBefore = aggregator.output.length;

    // Act
    const stop = await start();
    await waitFor(
      () => fullyCommitted(inject('kafkaBrokers'), topic, groupId),
      60_000,
      'the topic consumed',
    ).finally(stop);

    // Assess
    expect(retries).toEqual([]);
    expect(await gapRows(database)).toEqual([
      expect.objectContaining({
        kafka_partition: TRIMMED_PARTITION,
        from: trimmedFrom,
        to: trimmedFrom + TRIMMED - 1,
        reason: expect.stringContaining('acceptOffsetGaps'),
        batch_id: expect.any(String),
      }),
    ]);
    const output = aggregator.output.slice(outputBefore);
    expect(gapMetric(output)).toContain(TRIMMED);
    expect(output).toContainEqual(
      expect.objectContaining({
        kind: 'log',
        record: expect.objectContaining({ message: OFFSET_GAP_LOG.accepted, missingRecords: TRIMMED }),
      }),
    );
    await expectExactAfterTrim(database, topic, truth, records);
  });
});
