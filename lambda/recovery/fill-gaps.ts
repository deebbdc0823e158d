import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { recoveryGroupId } from '../../contracts/event-source-mapping.js';
import { PostgresPositionStore } from '../adapters/postgres-position-store.js';
import { processBatch } from '../aggregator/process-batch.js';
import { encodeMskEvent } from '../domain/kafka-record.js';
import type { RecoveryBatchLine } from './recover.js';
import { readRanges } from './topic-range.js';

export interface FillGapsSettings {
  readonly kafka: Kafka;
  readonly pool: pg.Pool;
  readonly eventSource: string;
  readonly topic: string;
  readonly groupId: string;
  /** @default 500 */
  readonly batchSize?: number;
  readonly onBatch?: (line: RecoveryBatchLine) => void;
}

/** What the fill did with one recorded gap: plain data. */
export interface GapFill {
  readonly partition: number;
  readonly fromOffset: number;
  readonly toOffset: number;
  /** filled: applied and removed from offset_gap; gone: the topic no longer holds them (it stays). */
  readonly outcome: 'filled' | 'gone';
  readonly batches: number;
  readonly applied: number;
  readonly rejected: number;
}

interface GapRow {
  readonly kafka_partition: number;
  readonly from_offset: string;
  readonly to_offset: string;
  readonly fill_source: string;
  readonly filled_to: string | null;
}

/**
 * Applies, from the topic, exactly the offsets of each gap recorded in offset_gap (a batch the mapping
 * discarded in provisioned mode, accepted by the next one), and removes the gap once all are applied.
 * The batches go through apply_batch under the gap's own event source (offset_gaps' fill_source), whose
 * checkpoint makes the fill exactly-once and resumable; the partition's own checkpoint, past the gap,
 * is not involved. A gap whose offsets left the topic is reported and kept.
 */
export async function fillGaps(settings: FillGapsSettings): Promise<GapFill[]> {
  const gaps = await settings.pool.query<GapRow>('SELECT * FROM offset_gaps($1, $2)', [
    settings.eventSource,
    settings.topic,
  ]);
  const admin = settings.kafka.admin();
  await admin.connect();
  const logStarts = await admin
    .fetchTopicOffsets(settings.topic)
    .then((offsets) => new Map(offsets.map((p) => [p.partition, Number(p.low)])))
    .finally(() => admin.disconnect());
  const store = new PostgresPositionStore(settings.pool, 'refuse');
  const fills: GapFill[] = [];
  for (const gap of gaps.rows) {
    const partition = gap.kafka_partition;
    const fromOffset = Number(gap.from_offset);
    const toOffset = Number(gap.to_offset);
    const start = gap.filled_to === null ? fromOffset : Number(gap.filled_to);
    const tally = { batches: 0, applied: 0, rejected: 0 };
    if (start <= toOffset && start < (logStarts.get(partition) ?? 0)) {
      fills.push({ partition, fromOffset, toOffset, outcome: 'gone', ...tally });
      continue;
    }
    await readRanges({
      kafka: settings.kafka,
      topic: settings.topic,
      groupId: recoveryGroupId(settings.groupId),
      ranges: [{ partition, from: start, to: toOffset + 1 }],
      chunkSize: settings.batchSize ?? 500,
      onChunk: async (_partition, records) => {
        const report = await processBatch(
          encodeMskEvent(records, { eventSourceArn: gap.fill_source, bootstrapServers: 'recovery' }),
          store,
        );
        tally.batches++;
        tally.applied += report.applied;
        tally.rejected += report.rejected;
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
    const closed = await settings.pool.query<{ outcome: { status: string; filledTo?: number } }>(
      'SELECT close_filled_offset_gap($1, $2, $3, $4) AS outcome',
      [settings.eventSource, settings.topic, partition, fromOffset],
    );
    if (closed.rows[0]?.outcome.status !== 'closed') {
      throw new Error(
        `partition ${partition}: the gap ${fromOffset}..${toOffset} is filled only up to ` +
          `${closed.rows[0]?.outcome.filledTo}; run the fill again`,
      );
    }
    fills.push({ partition, fromOffset, toOffset, outcome: 'filled', ...tally });
  }
  return fills;
}

/** One line per gap, for an operator. */
export function describeFills(topic: string, fills: readonly GapFill[]): string[] {
  if (fills.length === 0) return [`topic ${topic}: no offset gap recorded`];
  return fills.map((fill) =>
    fill.outcome === 'filled'
      ? `partition ${topic}-${fill.partition}: gap ${fill.fromOffset}..${fill.toOffset} filled from the topic: ` +
        `applied ${fill.applied} deals, set aside ${fill.rejected}, in ${fill.batches} batches; removed from offset_gap`
      : `partition ${topic}-${fill.partition}: gap ${fill.fromOffset}..${fill.toOffset} is no longer in the ` +
        "topic (retention); it stays in offset_gap: the failure bucket's object, if any, holds the batch",
  );
}
