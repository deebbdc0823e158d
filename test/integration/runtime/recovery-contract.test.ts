import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { recoveryFunction } from '../../../contracts/functions.js';
import { TransactionGenerator } from '../../../lambda/domain/generator.js';
import type { RecoveryReport } from '../../../lambda/recovery/recover.js';
import { localClusterArn } from '../../../local/esm/local-mapping.js';
import { FunctionError } from '../../../local/lambda-runtime/execution-environment.js';
import { readFlowTotals, readPositions } from '../../../local/verify/totals.js';
import { produce, testKafka, topicEnds } from '../support/kafka.js';
import { addToTruth, type Truth } from '../support/records.js';
import { createTestDatabase, type TestDatabase, uniqueTopic } from '../support/test-database.js';
import { startTestFunction, type TestFunction } from '../support/test-function.js';

const topic = uniqueTopic();
const groupId = `${topic}-aggregator`;
const truth: Truth = new Map();
let database: TestDatabase;
let recovery: TestFunction;

beforeAll(async () => {
  const brokers = inject('kafkaBrokers');
  const generator = new TransactionGenerator({ seed: 61 });
  const messages = Array.from({ length: 300 }, () => {
    const deal = generator.next();
    addToTruth(truth, deal.branch, deal.currency, deal.amount);
    return { key: deal.branch, value: JSON.stringify(deal) };
  });
  await produce(brokers, topic, messages);
  // The mapping's group has committed the whole topic; the database (as restored from a backup taken
  // before the first deal) has applied none of it.
  const admin = testKafka(brokers).admin();
  await admin.connect();
  const ends = await topicEnds(brokers, topic);
  await admin.setOffsets({
    groupId,
    topic,
    partitions: [...ends]
      .sort(([a], [b]) => a - b)
      .map(([partition, end]) => ({ partition, offset: String(end) })),
  });
  await admin.disconnect();
  database = await createTestDatabase(inject('databaseUrl'));
  recovery = await startTestFunction({
    definition: recoveryFunction(),
    localEnvironment: {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: brokers,
      EVENT_SOURCE_ARN: localClusterArn('test', topic),
      TOPIC: topic,
      CONSUMER_GROUP_ID: groupId,
    },
    maxConcurrency: 1,
  });
});

afterAll(async () => {
  await recovery?.stop();
  await database?.drop();
});

describe('the recovery function under the Lambda runtime emulator and aws-lambda-ric', () => {
  it('answers {} with a JSON report per partition, having applied what the mapping committed past the checkpoints', async () => {
    // Act
    const report = (await recovery.invoke({})) as RecoveryReport;

    // Assess
    const ends = await topicEnds(inject('kafkaBrokers'), topic);
    expect(report.recordsMissing).toBe(false);
    expect(
      report.partitions.map((p) => [p.partition, p.outcome, p.checkpointBefore, p.checkpointAfter]),
    ).toEqual(
      [...ends]
        .sort(([a], [b]) => a - b)
        .map(([partition, end]) => [
          partition,
          end > 0 ? 'recovered' : 'up to date',
          null,
          end > 0 ? end : null,
        ]),
    );
    expect(await readPositions(database.pool)).toEqual(truth);
    expect(await readFlowTotals(database.pool)).toEqual(truth);
    const logged = recovery.output.filter(
      (line) => line.kind === 'log' && line.record.message === 'recovery batch committed',
    );
    expect(logged.length).toBeGreaterThan(0);

    // Act: run again: nothing left, nothing applied twice.
    const again = (await recovery.invoke({})) as RecoveryReport;

    // Assess
    expect(again.partitions.every((p) => p.outcome === 'up to date' && p.batches === 0)).toBe(true);
    expect(await readPositions(database.pool)).toEqual(truth);
  });

  it('answers an errorType document for an acceptance without a reason, and changes nothing', async () => {
    // Act
    const attempt = recovery.invoke({ acceptLoss: { reason: '' } });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(FunctionError);
    await expect(attempt).rejects.toMatchObject({ errorType: 'ConfigError' });
    const gaps = await database.pool.query('SELECT * FROM offset_gap');
    expect(gaps.rows).toEqual([]);
  });
});
