/** The Spark peer's tables, and what it wrote read back as totals for the exactness check. */
import type pg from 'pg';
import { parseCents } from '../../lambda/domain/money.js';
import { totalsKey } from '../../lambda/producer/publish.js';
import type { Totals } from '../../local/verify/totals.js';

/**
 * The peer's tables, beside ours in the same database: per batch when it was written and its records'
 * timestamps (the same columns the benchmark reads from applied_batch), and the tutorial's
 * transaction_flow rows. Bench-only, so created here rather than by a migration.
 */
export const SPARK_SCHEMA = `
CREATE SCHEMA IF NOT EXISTS spark_peer;
CREATE TABLE IF NOT EXISTS spark_peer.applied_batch (
  spark_batch_id        bigint PRIMARY KEY,
  committed_at          timestamptz NOT NULL,
  record_count          integer NOT NULL,
  unparsed_count        integer NOT NULL,
  first_record_time     timestamptz NOT NULL,
  last_record_time      timestamptz NOT NULL,
  record_time_histogram integer[] NOT NULL
);
CREATE TABLE IF NOT EXISTS spark_peer.transaction_flow (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  spark_batch_id bigint NOT NULL REFERENCES spark_peer.applied_batch (spark_batch_id),
  curr_time      timestamptz NOT NULL,
  branch_name    text NOT NULL,
  currency_code  char(3) NOT NULL,
  batch_value    numeric(24, 2) NOT NULL,
  tx_count       integer NOT NULL
);
`;

export async function createSparkSchema(db: pg.Client): Promise<void> {
  await db.query(SPARK_SCHEMA);
}

/** The peer's transaction_flow summed per branch × currency. */
export async function readSparkTotals(db: pg.Client): Promise<Totals> {
  const result = await db.query<{ branch: string; currency: string; sum: string; count: string }>(
    `SELECT branch_name AS branch, currency_code AS currency, sum(batch_value)::text AS sum, sum(tx_count)::text AS count
     FROM spark_peer.transaction_flow GROUP BY 1, 2`,
  );
  return new Map(
    result.rows.map((row) => [
      // currency_code is char(3): PostgreSQL pads it, so it is trimmed.
      totalsKey(row.branch, row.currency.trim()),
      { sum: parseCents(row.sum), count: Number(row.count) },
    ]),
  );
}
