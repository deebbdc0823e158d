import { afterAll, describe, expect, inject, it } from 'vitest';
import { producerFunction } from '../../../contracts/functions.js';
import { referencedMetrics } from '../../../contracts/telemetry/alarms.js';
import { emfCarries, metricFilterValue } from '../../../local/dashboard/metric-series.js';
import { createTopic } from '../../../local/infra/kafka/admin.js';
import { loadAggregator } from '../support/aggregator.js';
import { HANDLER_TOPIC, handlerEvent } from '../support/handler-events.js';
import { createTestDatabase } from '../support/test-database.js';
import { startTestFunction } from '../support/test-function.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('every metric a CloudWatch widget or alarm reads in our namespace', () => {
  it('is emitted, with those dimensions, by a function running under the Lambda runtime', async () => {
    // Prepare: the aggregator on a database, the aggregator on a database that is down (the failure
    // path emits BatchesFailed), and the producer for one short run.
    const database = await createTestDatabase(inject('databaseUrl'));
    cleanups.push(() => database.drop());
    const healthy = await loadAggregator(database.url);
    cleanups.push(() => healthy.closeConnections());
    const down = await loadAggregator('postgres://127.0.0.1:1/none');
    cleanups.push(() => down.closeConnections());
    const brokers = inject('kafkaBrokers');
    const topic = `metrics-${Date.now()}`;
    await createTopic(brokers.split(','), topic, 1);
    const producer = await startTestFunction({
      definition: producerFunction({ ratePerSecond: 20, durationSeconds: 1 }),
      localEnvironment: { KAFKA_BROKERS: brokers, TOPIC: topic },
      maxConcurrency: 1,
    });
    cleanups.push(() => producer.stop());
    const producerOutput = producer.output;
    // A deal with its base amount, and a rate for it: the bank's total result is then known and emitted.
    await database.pool.query("INSERT INTO fx_rate VALUES ('EUR', 101.25, now() - interval '1 minute')");
    const deal = Buffer.from(
      JSON.stringify({ branch: 'Kazan', currency: 'EUR', amount: 10, baseAmount: 1_000 }),
    );
    const event = handlerEvent([
      { topic: HANDLER_TOPIC, partition: 0, offset: 0, timestamp: Date.now(), key: null, value: deal },
      {
        topic: HANDLER_TOPIC,
        partition: 0,
        offset: 1,
        timestamp: Date.now(),
        key: null,
        value: Buffer.from('{'),
      },
    ]);

    // Act
    await producer.invoke({ durationSeconds: 1 });
    await healthy.handler(event);
    await healthy.handler(event);
    await expect(down.handler(event)).rejects.toThrow();

    // Assess
    const emf = [...healthy.output, ...down.output].flatMap((line) =>
      line.kind === 'metrics' ? [line.document] : [],
    );
    const ours = referencedMetrics().filter((metric) => metric.namespace === 'app');
    expect(ours.length).toBeGreaterThan(5);
    const missing = ours.filter((metric) =>
      metric.id === 'produced'
        ? !producerOutput.some((line) => line.kind === 'log' && metricFilterValue(line.record) !== undefined)
        : !emf.some((document) => emfCarries(document, metric)),
    );
    expect(missing.map((m) => `${m.metricName} ${JSON.stringify(m.dimensions)}`)).toEqual([]);
  });
});
