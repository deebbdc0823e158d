import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { producerFunction } from '../../../contracts/functions.js';
import type { ProducerSummary } from '../../../lambda/producer/handler.js';
import { createTopic } from '../../../local/infra/kafka/admin.js';
import { FunctionError } from '../../../local/lambda-runtime/execution-environment.js';
import { scheduledEvent } from '../../../local/run/scheduled-event.js';
import { readTopicContents } from '../../../local/verify/topic-truth.js';
import { producedTotals } from '../../../local/verify/totals.js';
import { testKafka } from '../support/kafka.js';
import { uniqueTopic } from '../support/test-database.js';
import { startTestFunction, type TestFunction } from '../support/test-function.js';

const topic = uniqueTopic();
let producer: TestFunction;

beforeAll(async () => {
  const brokers = inject('kafkaBrokers');
  await createTopic(brokers.split(','), topic, 3);
  producer = await startTestFunction({
    // Two seconds a run at 50 deals a second: a short run of the scheduled function.
    definition: producerFunction({ ratePerSecond: 50, durationSeconds: 2 }),
    localEnvironment: { KAFKA_BROKERS: brokers, TOPIC: topic },
    maxConcurrency: 1,
  });
});

afterAll(async () => {
  await producer?.stop();
});

describe('the producer under the Lambda runtime emulator and aws-lambda-ric', () => {
  it("answers the schedule's event with a JSON summary of what the topic then holds, and logs the line the metric filter counts", async () => {
    // Act
    const summary = (await producer.invoke(
      scheduledEvent('arn:aws:events:local:000000000000:rule/test'),
    )) as ProducerSummary;

    // Assess
    expect(summary.sent).toBe(100);
    const contents = await readTopicContents(testKafka(inject('kafkaBrokers')), topic);
    expect(contents.records).toBe(100);
    expect(contents.duplicateIds).toEqual([]);
    expect(producedTotals([summary])).toEqual(contents.truth);
    const sentLines = producer.output.filter(
      (line) => line.kind === 'log' && line.record.message === 'deals sent',
    );
    expect(sentLines.map((line) => line.kind === 'log' && line.record.sent)).toEqual([100]);
  });

  it('answers an errorType document for settings out of range, and sends nothing', async () => {
    // Act
    const attempt = producer.invoke({ durationSeconds: 'soon' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(FunctionError);
    await expect(attempt).rejects.toMatchObject({ errorType: 'ConfigError' });
    expect((await readTopicContents(testKafka(inject('kafkaBrokers')), topic)).records).toBe(100);
  });
});
