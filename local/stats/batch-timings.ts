import type pg from 'pg';
import type { BatchTiming } from './latency.js';

export interface BatchTimingQuery {
  /**
   * A table with applied_batch's timing columns (committed_at, record_count, first_record_time,
   * last_record_time, record_time_histogram); the benchmark's peer writes one of its own. Trusted
   * text: it is spliced into the SQL.
   * @default 'applied_batch'
   */
  readonly table?: string;
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
    `SELECT committed_at, record_count, first_record_time, record_time_histogram FROM ${query.table ?? 'applied_batch'}
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
