/**
 * What a system has committed, read from its batch table: how many records and when, waiting for a
 * count, and the per-batch timings the latency statistic (local/stats/latency.ts) is computed from.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { BatchTiming } from '../../local/stats/latency.js';
import type { StreamingSystem } from './streaming-system.js';

// The database is the only place the commit can be seen from, so it is polled this often.
const COMMIT_POLL_MS = 100;

export interface CommittedState {
  readonly records: number;
  readonly lastCommittedAt: number | undefined;
}

export async function committedState(db: pg.Client, table: string): Promise<CommittedState> {
  const result = await db.query<{ records: string; last: Date | null }>(
    `SELECT coalesce(sum(record_count), 0)::text AS records, max(committed_at) AS last FROM ${table}`,
  );
  const row = result.rows[0];
  return { records: Number(row?.records ?? 0), lastCommittedAt: row?.last?.getTime() };
}

export async function waitForCommitted(
  db: pg.Client,
  system: StreamingSystem,
  records: number,
  timeoutMs: number,
): Promise<CommittedState & { readonly drained: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failure = system.failure();
    if (failure) throw new Error(`${system.name} stopped working: ${failure}`);
    const state = await committedState(db, system.batchTable);
    if (state.records >= records) return { ...state, drained: true };
    if (Date.now() > deadline) return { ...state, drained: false };
    await sleep(COMMIT_POLL_MS);
  }
}

/**
 * The timing of every committed batch that has records, whose newest record was produced at or after
 * `producedSince`. `table` is a system's batchTable, a constant of ours: it is spliced into the SQL.
 */
export async function readBatchTimings(
  db: pg.ClientBase,
  query: { readonly table: string; readonly producedSince?: number },
): Promise<BatchTiming[]> {
  const result = await db.query<{
    committed_at: Date;
    record_count: number;
    first_record_time: Date | null;
    record_time_histogram: number[] | null;
  }>(
    `SELECT committed_at, record_count, first_record_time, record_time_histogram FROM ${query.table}
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
