import type { Admin, Kafka } from 'kafkajs';
import type pg from 'pg';
import { recoveryGroupId } from '../../contracts/event-source-mapping.js';
import { PostgresPositionStore } from '../adapters/postgres-position-store.js';
import { processBatch } from '../aggregator/process-batch.js';
import { encodeMskEvent } from '../domain/kafka-record.js';
import { type MissingRange, type PartitionPlan, type PartitionPosition, planPartition } from './plan.js';
import { readRanges } from './topic-range.js';

export interface RecoverySettings {
  readonly kafka: Kafka;
  /** Logged in as the aggregator: apply_batch, partition_checkpoints and accept_offset_gap. */
  readonly pool: pg.Pool;
  /** The cluster the checkpoints are keyed by: the mapping's eventSourceArn. */
  readonly eventSource: string;
  readonly topic: string;
  /** The mapping's consumer group, whose committed offsets are the target. */
  readonly groupId: string;
  /** Records per apply_batch. @default 500, the mapping's batch size */
  readonly batchSize?: number;
  /** Set: offsets the topic no longer holds are recorded in offset_gap with this reason, and skipped. */
  readonly acceptLoss?: { readonly reason: string };
  /** Each batch applied, as it commits. */
  readonly onBatch?: (line: RecoveryBatchLine) => void;
}

/** One batch the recovery committed (a structured line for whoever watches it). */
export interface RecoveryBatchLine {
  readonly event: 'recovery.batch';
  readonly partition: number;
  readonly fromOffset: number;
  readonly nextOffset: number;
  readonly applied: number;
  readonly rejected: number;
  readonly skipped: number;
}

/** What the recovery did with one partition: plain data (the Lambda function returns it). */
export interface PartitionRecovery {
  readonly partition: number;
  /** Before the recovery; null: the database had none. */
  readonly checkpointBefore: number | null;
  /** Where the mapping's next batch starts: what the recovery brings the checkpoint up to. */
  readonly target: number;
  readonly outcome: 'up to date' | 'recovered' | 'records missing' | 'loss accepted';
  /** Offsets the topic no longer holds: named, and recorded in offset_gap only when accepted. */
  readonly missing: MissingRange | null;
  readonly batches: number;
  /** Records of the partition applied (valid deals), set aside as invalid, and found applied already. */
  readonly applied: number;
  readonly rejected: number;
  readonly skipped: number;
  readonly checkpointAfter: number | null;
}

export interface RecoveryReport {
  readonly eventSource: string;
  readonly topic: string;
  readonly groupId: string;
  readonly partitions: readonly PartitionRecovery[];
  /** True when a partition still has records missing (not accepted): the partition stays stopped. */
  readonly recordsMissing: boolean;
}

async function readCheckpoints(
  pool: pg.Pool,
  eventSource: string,
  topic: string,
): Promise<Map<number, number>> {
  const result = await pool.query<{ kafka_partition: number; next_offset: string }>(
    'SELECT kafka_partition, next_offset FROM partition_checkpoints($1, $2)',
    [eventSource, topic],
  );
  return new Map(result.rows.map((row) => [row.kafka_partition, Number(row.next_offset)]));
}

async function readPositions(
  admin: Admin,
  topic: string,
  groupId: string,
  checkpoints: ReadonlyMap<number, number>,
): Promise<PartitionPosition[]> {
  const [offsets, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  return offsets
    .map((p) => {
      const groupOffset = Number(
        committed?.partitions.find((c) => c.partition === p.partition)?.offset ?? -1,
      );
      return {
        partition: p.partition,
        checkpoint: checkpoints.get(p.partition),
        logStart: Number(p.low),
        logEnd: Number(p.high),
        committed: groupOffset >= 0 ? groupOffset : undefined,
      };
    })
    .sort((a, b) => a.partition - b.partition);
}

async function acceptMissing(
  settings: RecoverySettings,
  partition: number,
  missing: MissingRange,
  reason: string,
): Promise<void> {
  const result = await settings.pool.query<{ outcome: { status: string; checkpoint?: number } }>(
    'SELECT accept_offset_gap($1, $2, $3, $4, $5, $6) AS outcome',
    [
      settings.eventSource,
      settings.topic,
      partition,
      missing.fromOffset,
      missing.toOffset,
      `${reason} (accepted by an operator; ${missing.reason})`,
    ],
  );
  const outcome = result.rows[0]?.outcome;
  if (outcome?.status !== 'accepted') {
    throw new Error(
      `partition ${partition}: the checkpoint moved to ${outcome?.checkpoint} while the loss of offsets ` +
        `${missing.fromOffset}..${missing.toOffset} was being accepted; run the recovery again`,
    );
  }
}

interface Tally {
  batches: number;
  applied: number;
  rejected: number;
  skipped: number;
}

/**
 * Brings every partition's checkpoint up to where the mapping's next batch starts, applying the
 * offsets in between from the topic through the aggregator's own path (decode, validation,
 * apply_batch, with gaps refused), in order, a batch at a time. Each batch commits with its
 * checkpoint, so a recovery stopped at any point (killed, timed out) is simply run again: what it
 * applied is skipped. Offsets the topic no longer holds are named; with `acceptLoss` they are recorded
 * in offset_gap and the partition resumes past them.
 */
export async function recoverPartitions(settings: RecoverySettings): Promise<RecoveryReport> {
  const admin = settings.kafka.admin();
  await admin.connect();
  let positions: PartitionPosition[];
  try {
    const checkpoints = await readCheckpoints(settings.pool, settings.eventSource, settings.topic);
    positions = await readPositions(admin, settings.topic, settings.groupId, checkpoints);
  } finally {
    await admin.disconnect();
  }
  const plans = new Map<number, PartitionPlan>(positions.map((p) => [p.partition, planPartition(p)]));
  const tallies = new Map<number, Tally>(
    positions.map((p) => [p.partition, { batches: 0, applied: 0, rejected: 0, skipped: 0 }]),
  );

  const ranges: { partition: number; from: number; to: number }[] = [];
  const accepted = new Set<number>();
  for (const [partition, plan] of plans) {
    if (plan.action === 'apply') ranges.push({ partition, from: plan.from, to: plan.to });
    if (plan.action === 'missing' && settings.acceptLoss) {
      await acceptMissing(settings, partition, plan.missing, settings.acceptLoss.reason);
      accepted.add(partition);
      ranges.push({ partition, from: plan.missing.toOffset + 1, to: plan.to });
    }
  }

  const store = new PostgresPositionStore(settings.pool, 'refuse');
  await readRanges({
    kafka: settings.kafka,
    topic: settings.topic,
    groupId: recoveryGroupId(settings.groupId),
    ranges,
    chunkSize: settings.batchSize ?? 500,
    onChunk: async (partition, records) => {
      const report = await processBatch(
        encodeMskEvent(records, { eventSourceArn: settings.eventSource, bootstrapServers: 'recovery' }),
        store,
      );
      const tally = tallies.get(partition);
      if (tally) {
        tally.batches++;
        tally.applied += report.applied;
        tally.rejected += report.rejected;
        tally.skipped += report.skipped;
      }
      settings.onBatch?.({
        event: 'recovery.batch',
        partition,
        fromOffset: records[0]?.offset as number,
        nextOffset: (records.at(-1)?.offset as number) + 1,
        applied: report.applied,
        rejected: report.rejected,
        skipped: report.skipped,
      });
    },
  });

  const after = await readCheckpoints(settings.pool, settings.eventSource, settings.topic);
  const partitions = positions.map((position): PartitionRecovery => {
    const plan = plans.get(position.partition) as PartitionPlan;
    const tally = tallies.get(position.partition) as Tally;
    const missing = plan.action === 'missing' ? plan.missing : null;
    let outcome: PartitionRecovery['outcome'] = tally.batches > 0 ? 'recovered' : 'up to date';
    if (missing) outcome = accepted.has(position.partition) ? 'loss accepted' : 'records missing';
    return {
      partition: position.partition,
      checkpointBefore: position.checkpoint ?? null,
      target: plan.to,
      outcome,
      missing,
      ...tally,
      checkpointAfter: after.get(position.partition) ?? null,
    };
  });
  return {
    eventSource: settings.eventSource,
    topic: settings.topic,
    groupId: settings.groupId,
    partitions,
    recordsMissing: partitions.some((p) => p.outcome === 'records missing'),
  };
}

/** One line per partition, for an operator. */
export function describeRecovery(report: RecoveryReport): string[] {
  return report.partitions.map((p) => {
    const where = `partition ${report.topic}-${p.partition}: checkpoint ${p.checkpointBefore ?? 'none'}`;
    const missing = `offsets ${p.missing?.fromOffset}..${p.missing?.toOffset}`;
    if (p.outcome === 'records missing') {
      return (
        `${where}: ${missing} are missing (${p.missing?.reason}); the partition stays stopped. Accept ` +
        'the loss with --accept-loss --reason "..." once the deals are accounted for elsewhere'
      );
    }
    if (p.outcome === 'up to date') {
      return `${where}, the mapping's next batch starts at ${p.target}: nothing to apply`;
    }
    const accepted = p.outcome === 'loss accepted' ? `: loss of ${missing} recorded in offset_gap;` : '';
    return (
      `${where}${accepted} -> ${p.checkpointAfter}: applied ${p.applied} deals, set aside ${p.rejected}, ` +
      `skipped ${p.skipped} already applied, in ${p.batches} batches`
    );
  });
}
