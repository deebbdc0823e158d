import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { METRICS } from '../../../contracts/telemetry/metrics.js';
import { OFFSET_GAP_LOG } from '../../../lambda/aggregator/offset-gap.js';
import { TransactionGenerator } from '../../../lambda/domain/generator.js';
import { emfCarries } from '../../../local/dashboard/metric-series.js';
import type { EsmEmulator } from '../../../local/esm/emulator.js';
import type { RetryInfo } from '../../../local/esm/event-lines.js';
import { FunctionError } from '../../../local/lambda-runtime/execution-environment.js';
import { readFlowTotals, readPositions } from '../../../local/verify/totals.js';
import { fullyCommitted, produce, testKafka, waitFor } from '../support/kafka.js';
import { createTestDatabase, uniqueTopic } from '../support/test-database.js';
import { expectExactTotals, readTopic } from './support/ground-truth.js';
import { type AggregatorUnderTest, emulatorFor, loadAggregator } from './support/in-process.js';
import { killRecoveryAfter, type RecoveryCliTarget, runRecoveryCli } from './support/recovery-cli.js';
import { SwappableDatabase } from './support/swappable-database.js';

let database: SwappableDatabase;
let aggregator: AggregatorUnderTest;

beforeAll(async () => {
  database = await SwappableDatabase.create(inject('databaseUrl'));
  aggregator = await loadAggregator(database.url);
});

afterAll(async () => {
  await aggregator?.closeConnections();
  await database?.drop();
});

let seed = 100;
function deals(count: number) {
  const generator = new TransactionGenerator({ seed: seed++, idPrefix: `r${seed}` });
  return Array.from({ length: count }, () => {
    const deal = generator.next();
    return { key: deal.branch, value: JSON.stringify(deal) };
  });
}

async function checkpoints(pool = database.pool): Promise<Map<number, number>> {
  const result = await pool.query<{ kafka_partition: number; next_offset: string }>(
    'SELECT kafka_partition, next_offset FROM partition_checkpoint',
  );
  return new Map(result.rows.map((row) => [row.kafka_partition, Number(row.next_offset)]));
}

async function committedOffsets(emulator: EsmEmulator, brokers: string): Promise<Map<number, number>> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    return await emulator.committedOffsets(admin);
  } finally {
    await admin.disconnect();
  }
}

describe('the database restored to an earlier moment while the mapping is ahead', () => {
  it('stops the partitions, says so, and the recovery (killed once mid-way) brings them back exactly', async () => {
    // Prepare: a run, a copy of the database at a moment, the run goes on; then the copy is restored.
    const brokers = inject('kafkaBrokers');
    const topic = uniqueTopic();
    const groupId = `${topic}-aggregator`;
    const retries: RetryInfo[] = [];
    const emulator = () =>
      emulatorFor(testKafka(brokers), topic, groupId, aggregator.handler, {
        retryBackoffMs: { initial: 200, max: 1_000 },
        onRetry: (info) => retries.push(info),
      });
    const consumeAll = async () => {
      const running = emulator();
      await running.start();
      try {
        await waitFor(() => fullyCommitted(brokers, topic, groupId), 90_000, 'the topic consumed');
      } finally {
        await running.stop();
      }
      return running;
    };
    await produce(brokers, topic, deals(900));
    await consumeAll();
    const snapshot = await database.copy();
    const atSnapshot = await checkpoints();
    await produce(brokers, topic, deals(900));
    const last = await consumeAll();
    const committedBeforeRestore = await committedOffsets(last, brokers);
    await database.restore(snapshot);
    await produce(brokers, topic, deals(300));
    const outputBefore = aggregator.output.length;

    // Act: the mapping runs on the restored database.
    const mapping = emulator();
    await mapping.start();
    const target: RecoveryCliTarget = { brokers, databaseUrl: database.url, topic, groupId };
    let killed: Awaited<ReturnType<typeof killRecoveryAfter>>;
    let recovered: Awaited<ReturnType<typeof runRecoveryCli>>;
    try {
      await waitFor(
        async () => new Set(retries.map((retry) => retry.partition)).size === 3,
        60_000,
        'every partition refused',
      );
      // Assess: every partition stopped on its gap, nothing written past the restored checkpoints.
      for (const retry of retries) {
        expect(retry.error).toBeInstanceOf(FunctionError);
        expect((retry.error as FunctionError).errorType).toBe('OffsetGapError');
        const checkpoint = atSnapshot.get(retry.partition);
        const first = committedBeforeRestore.get(retry.partition);
        expect((retry.error as Error).message).toContain(
          `partition ${topic}-${retry.partition}: checkpoint ${checkpoint}, batch starts at ${first}`,
        );
      }
      expect(await checkpoints()).toEqual(atSnapshot);
      const output = aggregator.output.slice(outputBefore);
      const logged = output.flatMap((line) =>
        line.kind === 'log' && line.record.message === OFFSET_GAP_LOG.refused ? [line.record] : [],
      );
      for (const partition of [0, 1, 2]) {
        expect(logged).toContainEqual(
          expect.objectContaining({
            partition,
            checkpoint: atSnapshot.get(partition),
            firstOffset: committedBeforeRestore.get(partition),
            missingRecords: (committedBeforeRestore.get(partition) ?? 0) - (atSnapshot.get(partition) ?? 0),
          }),
        );
      }
      const gapMetric = output.flatMap((line) =>
        line.kind === 'metrics' && emfCarries(line.document, METRICS.offsetGapRecords)
          ? [line.document[METRICS.offsetGapRecords.metricName] as number]
          : [],
      );
      expect(Math.max(...gapMetric)).toBeGreaterThanOrEqual(1);

      // Act: the recovery, killed after its second batch, then run again to its end, while the mapping retries.
      killed = await killRecoveryAfter(target, 2, ['--batch-size', '40']);
      recovered = await runRecoveryCli(target, ['--batch-size', '40']);
      await waitFor(
        () => fullyCommitted(brokers, topic, groupId),
        90_000,
        'the topic consumed after the recovery',
      );
    } finally {
      await mapping.stop();
    }

    console.log(
      `database-restore: checkpoints at the copy ${JSON.stringify([...atSnapshot])}, committed at the restore ` +
        `${JSON.stringify([...committedBeforeRestore])}; ${retries.length} refused invocations; recovery:\n` +
        recovered.output
          .split('\n')
          .filter((line) => line.startsWith('partition'))
          .join('\n'),
    );
    // Assess: the kill left batches applied; the second run applied the rest, nothing twice; every
    // position, flow and checkpoint is what an uninterrupted run gives: the topic's own sums, exactly.
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.batchesSeen).toBe(2);
    expect(recovered.code, recovered.output).toBe(0);
    for (const partition of [0, 1, 2]) {
      expect(recovered.output).toMatch(
        new RegExp(
          `partition ${topic}-${partition}: checkpoint \\d+ -> ${committedBeforeRestore.get(partition)}: applied`,
        ),
      );
    }
    const contents = await readTopic(brokers.split(','), topic);
    await expectExactTotals(database.pool, contents.truth, topic, contents.ends);

    // And they equal, exactly, a run of the same topic without the restore: a fresh database, its own
    // aggregator under the runtime and a mapping of its own group.
    const uninterrupted = await createTestDatabase(inject('databaseUrl'));
    const itsAggregator = await loadAggregator(uninterrupted.url);
    try {
      const group = `${topic}-uninterrupted`;
      const itsMapping = emulatorFor(testKafka(brokers), topic, group, itsAggregator.handler);
      await itsMapping.start();
      await waitFor(() => fullyCommitted(brokers, topic, group), 90_000, 'the uninterrupted run').finally(
        () => itsMapping.stop(),
      );
      expect(await readPositions(database.pool)).toEqual(await readPositions(uninterrupted.pool));
      expect(await readFlowTotals(database.pool)).toEqual(await readFlowTotals(uninterrupted.pool));
      expect(await checkpoints()).toEqual(await checkpoints(uninterrupted.pool));
    } finally {
      await itsAggregator.closeConnections();
      await uninterrupted.drop();
    }
  });
});
