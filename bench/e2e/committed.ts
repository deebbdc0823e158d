/**
 * What a system has committed, read from its batch table: how many records and when, waiting for a
 * count (the per-batch timings come from local/verify/stats/batch-timings.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { StreamingSystem } from './streaming-system.js';

// The database is the only place the commit can be seen from, so it is polled this often.
const COMMIT_POLL_MS = 100;

export interface CommittedState {
  readonly records: number;
  readonly lastCommittedAt: number | undefined;
}

export async function committedState(db: pg.Client, schema: string): Promise<CommittedState> {
  const result = await db.query<{ records: string; last: Date | null }>(
    `SELECT coalesce(sum(record_count), 0)::text AS records, max(committed_at) AS last FROM ${pg.escapeIdentifier(schema)}.applied_batch`,
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
    const state = await committedState(db, system.batchSchema);
    if (state.records >= records) return { ...state, drained: true };
    if (Date.now() > deadline) return { ...state, drained: false };
    await sleep(COMMIT_POLL_MS);
  }
}
