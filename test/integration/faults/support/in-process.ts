import type { MSKEvent } from 'aws-lambda';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { MAX_EVENT_BYTES } from '../../../../contracts/event-source-mapping.js';
import { EsmEmulator, type EsmEmulatorOptions } from '../../../../local/esm/emulator.js';
import { localClusterArn } from '../../../../local/esm/local-mapping.js';

export { type AggregatorUnderTest, loadAggregator } from '../../support/aggregator.js';

/** The ESM emulator on a test's topic, with a small batch and window so that a short run has many batches. */
export function emulatorFor(
  kafka: Kafka,
  topic: string,
  groupId: string,
  invoke: (event: MSKEvent) => Promise<unknown>,
  overrides: Partial<EsmEmulatorOptions> = {},
): EsmEmulator {
  return new EsmEmulator({
    kafka,
    topic,
    groupId,
    eventSourceArn: localClusterArn('test', topic),
    bootstrapServers: 'localhost',
    limits: { batchSize: 200, windowMs: 300, maxBytes: MAX_EVENT_BYTES },
    startingPosition: 'TRIM_HORIZON',
    invoke,
    ...overrides,
  });
}

export async function appliedBatches(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM applied_batch');
  return result.rows[0]?.n ?? 0;
}
