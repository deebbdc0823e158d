import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ProducerSummary } from '../../../lambda/producer/handler.js';
import { producerFunction } from '../../../lib/function-definitions.js';
import { createTopic } from '../../../local/kafka/admin.js';
import { FunctionError } from '../../../local/lambda/execution-environment.js';
import type { FunctionOutputLine } from '../../../local/lambda/function-output.js';
import { LocalFunction } from '../../../local/lambda/local-function.js';
import { scheduledEvent } from '../../../local/scheduled-event.js';
import { readTopicContents } from '../../../local/topic-truth.js';
import { producedTotals } from '../../../local/totals.js';
import { testKafka } from '../support/kafka.js';
import { uniqueTopic } from '../support/test-database.js';

const topic = uniqueTopic();
const bundleDir = fileURLToPath(
  new URL(`../../../.cache/lambda/test-producer-${process.pid}/`, import.meta.url),
);
const output: FunctionOutputLine[] = [];
let producer: LocalFunction;

beforeAll(async () => {
  const brokers = inject('kafkaBrokers');
  await createTopic(brokers.split(','), topic, 3);
  producer = await LocalFunction.create({
    // Two seconds a run at 50 deals a second: a short run of the scheduled function.
    definition: producerFunction({ ratePerSecond: 50, durationSeconds: 2 }),
    localEnvironment: { KAFKA_BROKERS: brokers, TOPIC: topic },
    maxConcurrency: 1,
    onOutput: (line) => output.push(line),
    bundleDir,
  });
});

afterAll(async () => {
  await producer?.stop();
  await rm(bundleDir, { recursive: true, force: true });
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
    const sentLines = output.filter((line) => line.kind === 'log' && line.record.message === 'deals sent');
    expect(sentLines.map((line) => line.kind === 'log' && line.record.sent)).toEqual([100]);
  });

  it('answers an errorType document for settings out of range, and sends nothing', async () => {
    // Act
    const attempt = producer.invoke({ durationSeconds: 'soon' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(FunctionError);
    await expect(attempt).rejects.toMatchObject({ errorType: 'RangeError' });
    expect((await readTopicContents(testKafka(inject('kafkaBrokers')), topic)).records).toBe(100);
  });
});
