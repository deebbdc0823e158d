import pg from 'pg';
import type { BatchTiming } from './latency.js';

export interface BatchTimingQuery {
  /**
   * The schema of the applied_batch table to read: the benchmark's peer writes one of its own, with
   * the same timing columns (committed_at, record_count, first/last_record_time, record_time_histogram).
   * @default 'public'
   */
  readonly schema?: string;
  /** Only batches whose newest record was produced at or after this (epoch ms). @default all */
  readonly producedSince?: number;
}

/** The timing of every committed batch that has records, as latencySample reads it. */
export async function readBatchTimings(
  db: pg.ClientBase,
  query: BatchTimingQuery = {},
): Promise<BatchTiming[]> {
  const result = await db.query<{
    committed_at: Date;
    record_count: number;
    first_record_time: Date | null;
    record_time_histogram: number[] | null;
  }>(
    `SELECT committed_at, record_count, first_record_time, record_time_histogram FROM ${pg.escapeIdentifier(query.schema ?? 'public')}.applied_batch
     WHERE last_record_time >= $1`,
    [new Date(query.producedSince ?? 0)],
  );
  return result.rows.flatMap((row) =>
    row.first_record_time && row.record_time_histogram
      ? [
          {
            committedAt: row.committed_at.getTime(),
            recordCount: row.record_count,
            firstRecordTime: row.first_record_time.getTime(),
            histogram: row.record_time_histogram,
          },
        ]
      : [],
  );
}
