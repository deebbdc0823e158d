import { describe, expect, inject, it } from 'vitest';
import type { FunctionDefinition } from '../../../contracts/functions.js';
import { TransactionGenerator } from '../../../lambda/domain/generator.js';
import type { RetryInfo } from '../../../local/esm/event-lines.js';
import { localClusterArn } from '../../../local/esm/local-mapping.js';
import { FunctionError, FunctionTimeoutError } from '../../../local/lambda-runtime/execution-environment.js';
import { emfValue } from '../../../local/lambda-runtime/function-output.js';
import { readFlowTotals } from '../../../local/verify/totals.js';
import { loadMskEvent } from '../../fixtures/load-msk-event.js';
import { emulatorFor } from '../faults/support/in-process.js';
import {
  type AggregatorUnderTest,
  loadAggregator,
  useAggregatorOnTestDatabase,
} from '../support/aggregator.js';
import { fullyCommitted, produce, testKafka, waitFor } from '../support/kafka.js';
import { addToTruth, type Truth } from '../support/records.js';
import { SwitchableProxy } from '../support/switchable-proxy.js';
import { uniqueTopic } from '../support/test-database.js';

const fixture = useAggregatorOnTestDatabase();

/** 200 generated deals on a topic of their own, and what they add up to. */
async function dealsOnTopic(): Promise<{ topic: string; truth: Truth }> {
  const topic = uniqueTopic();
  const generator = new TransactionGenerator({ seed: 9 });
  const truth: Truth = new Map();
  const messages = Array.from({ length: 200 }, () => {
    const deal = generator.next();
    addToTruth(truth, deal.branch, deal.currency, deal.amount);
    return { key: deal.branch, value: JSON.stringify(deal) };
  });
  await produce(inject('kafkaBrokers'), topic, messages);
  return { topic, truth };
}

/** Runs the emulated mapping on the topic until the group has committed it all; the retries it made. */
async function consumeAll(topic: string, aggregator: AggregatorUnderTest): Promise<RetryInfo[]> {
  const brokers = inject('kafkaBrokers');
  const retries: RetryInfo[] = [];
  const emulator = emulatorFor(testKafka(brokers), topic, `${topic}-aggregator`, aggregator.handler, {
    retryBackoffMs: { initial: 200, max: 1_000 },
    onRetry: (info) => retries.push(info),
  });
  await emulator.start();
  try {
    await waitFor(
      () => fullyCommitted(brokers, topic, `${topic}-aggregator`),
      90_000,
      'the topic to be consumed',
    );
  } finally {
    await emulator.stop();
  }
  return retries;
}

describe('the aggregator under the Lambda runtime emulator and aws-lambda-ric', () => {
  it('answers an MSK event, as AWS sends it, with a JSON summary and metrics, and commits the batch', async () => {
    // Act
    const summary = await fixture.aggregator.handler(await loadMskEvent());

    // Assess: plain JSON data, as the runtime serialized it.
    expect(summary).toMatchObject({ received: 6, applied: 3, rejected: 3, skipped: 0, attempts: 1 });
    expect(summary.batchId).toEqual(expect.any(Number));
    expect(new Date(summary.committedAt ?? '').toISOString()).toBe(summary.committedAt);
    expect(summary.positions).toHaveLength(3);
    expect(summary.positions).toEqual(
      expect.arrayContaining([
        { branch: 'Kazan', currency: 'USD', sum: '42.50', count: 1 },
        { branch: 'SPB', currency: 'EUR', sum: '-17.00', count: 1 },
        { branch: 'Novosibirsk', currency: 'RUB', sum: '0.10', count: 1 },
      ]),
    );
    const batch = await fixture.database.pool.query(
      'SELECT record_count::int AS records, committed_at FROM applied_batch WHERE batch_id = $1',
      [summary.batchId],
    );
    expect(batch.rows).toEqual([{ records: 6, committed_at: new Date(summary.committedAt ?? '') }]);
    const metrics = fixture.aggregator.output.flatMap((line) =>
      line.kind === 'metrics' ? [line.document] : [],
    );
    expect(metrics.map((document) => emfValue(document, 'RecordsApplied'))).toEqual([3]);
    expect(metrics[0]?._aws.CloudWatchMetrics[0]?.Namespace).toBe('TreasuryStream');
    const committed = fixture.aggregator.output.filter(
      (line) => line.kind === 'log' && line.record.message === 'batch committed',
    );
    expect(committed).toHaveLength(1);
  });

  it('answers an errorType document when the database refuses connections; the mapping retries until it is back', async () => {
    await behindSwitchableDatabase('refuse', {}, async ({ aggregator, proxy, consumeTopic }) => {
      await expect(aggregator.handler(await loadMskEvent())).rejects.toBeInstanceOf(FunctionError);

      // Act: the mapping consumes the topic; the database comes back after two failed attempts.
      const retries = await consumeTopic(async () => {
        await waitFor(async () => aggregator.function.stats.errors >= 3, 60_000, 'failed invocations');
        await proxy.switchTo('forward');
      });

      // Assess
      expect(retries.length).toBeGreaterThanOrEqual(2);
      expect(retries[0]?.error).toBeInstanceOf(FunctionError);
      expect(retries.map((retry) => (retry.error as FunctionError).errorType)).toContain('Error');
    });
  });

  it('reports an invocation past the function timeout as timed out; and the mapping retries it', async () => {
    // A database that accepts connections and never answers, a 2-second timeout.
    await behindSwitchableDatabase(
      'hang',
      { timeoutSeconds: 2 },
      async ({ aggregator, proxy, consumeTopic }) => {
        // Act
        const retries = await consumeTopic(async () => {
          await waitFor(
            async () => aggregator.function.stats.timeouts >= 1,
            60_000,
            'a timed-out invocation',
          );
          await proxy.switchTo('forward');
        });

        // Assess
        expect(retries[0]?.error).toBeInstanceOf(FunctionTimeoutError);
        expect(retries.map((retry) => (retry.error as Error).message)).toContain(
          'Task timed out after 2 seconds',
        );
      },
    );
  });
});

interface SwitchableDatabaseRun {
  readonly aggregator: AggregatorUnderTest;
  readonly proxy: SwitchableProxy;
  /** Consumes a topic of fresh deals while `meanwhile` runs; asserts the deals applied exactly; the retries. */
  consumeTopic(meanwhile: () => Promise<void>): Promise<RetryInfo[]>;
}

/**
 * An aggregator whose database is behind a proxy that starts in `mode`; the test switches it to
 * 'forward' when it has seen what it waits for. Everything is stopped after the test.
 */
async function behindSwitchableDatabase(
  mode: 'refuse' | 'hang',
  definition: Partial<FunctionDefinition>,
  test: (run: SwitchableDatabaseRun) => Promise<void>,
): Promise<void> {
  const server = new URL(fixture.database.url);
  const proxy = await SwitchableProxy.start({ host: server.hostname, port: Number(server.port) });
  await proxy.switchTo(mode);
  const aggregator = await loadAggregator(proxy.url(fixture.database.url), { definition });
  try {
    await test({
      aggregator,
      proxy,
      consumeTopic: async (meanwhile) => {
        const { topic, truth } = await dealsOnTopic();
        const consumed = consumeAll(topic, aggregator);
        await meanwhile();
        const retries = await consumed;
        expect(await readFlowTotals(fixture.database.pool, localClusterArn('test', topic))).toEqual(truth);
        return retries;
      },
    });
  } finally {
    await aggregator.closeConnections();
    await proxy.close();
  }
}
