import type pg from 'pg';
import type { EsmEmulator } from '../../../../local/esm/emulator.js';
import { fullyCommitted, waitFor } from '../../support/kafka.js';
import { appliedBatches } from './in-process.js';
import type { LiveProducer } from './live-producer.js';

export interface StreamThroughFault {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly groupId: string;
  /** Where the aggregator applies its batches: progress is read from applied_batch there. */
  readonly pool: pg.Pool;
  readonly producer: LiveProducer;
  readonly emulator: EsmEmulator;
  /** The fault: takes a service down and resolves once it is back. */
  readonly fault: () => Promise<void>;
  /** How long the consumer may take to commit everything once production has stopped. */
  readonly drainTimeoutMs: number;
}

/**
 * The fault tests' skeleton on a live stream: once the emulator has applied a batch, the fault; then,
 * once a batch has been applied after it (the consumer has recovered), production stops and the group
 * must commit the whole topic. The producer and the emulator are stopped whatever happens.
 * Resolves to the batches applied when the fault was over.
 */
export async function streamThroughFault(run: StreamThroughFault): Promise<{ appliedAtRecovery: number }> {
  // Undefined while the database does not answer (an outage is one of the faults).
  const applied = () => appliedBatches(run.pool).catch(() => undefined);
  await run.emulator.start();
  try {
    await waitFor(async () => ((await applied()) ?? 0) > 0, 60_000, 'the first batch applied');
    await run.fault();
    let atRecovery: number | undefined;
    await waitFor(
      async () => {
        atRecovery = await applied();
        return atRecovery !== undefined;
      },
      30_000,
      'the database to answer after the fault',
    );
    const appliedAtRecovery = atRecovery ?? 0;
    await waitFor(
      async () => ((await applied()) ?? 0) > appliedAtRecovery,
      60_000,
      'a batch applied after the fault',
    );
    await run.producer.stop();
    await waitFor(
      () => fullyCommitted(run.brokers.join(','), run.topic, run.groupId),
      run.drainTimeoutMs,
      'all records committed',
    );
    return { appliedAtRecovery };
  } finally {
    await run.producer.stop();
    await run.emulator.stop();
  }
}
