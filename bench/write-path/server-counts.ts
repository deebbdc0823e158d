/** What the server itself counted: transactions committed and rows written per table. */
import type pg from 'pg';

export interface TableCounts {
  /** Transactions committed in the database, server side. */
  readonly commits: number;
  /** Rows inserted + updated + deleted, per table. */
  readonly rows: ReadonlyMap<string, number>;
}

export const TABLES = [
  'applied_batch',
  'transaction_flow',
  'currency_position',
  'partition_checkpoint',
  'rejected_transaction',
  'offset_gap',
  'limit_breach',
];

/**
 * Server-side counts. Backends report their statistics lazily (at most once a second when idle), so
 * every pooled connection is first asked to flush them.
 */
export async function tableCounts(
  pool: pg.Pool,
  admin: pg.Client,
  connections: number,
): Promise<TableCounts> {
  const clients = await Promise.all(Array.from({ length: connections }, () => pool.connect()));
  try {
    for (const client of clients) await client.query('SELECT pg_stat_force_next_flush()');
  } finally {
    for (const client of clients) client.release();
  }
  await admin.query('SELECT pg_stat_force_next_flush()');
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const database = await admin.query<{ commits: string }>(
    'SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = current_database()',
  );
  const tables = await admin.query<{ relname: string; rows: string }>(
    'SELECT relname, n_tup_ins + n_tup_upd + n_tup_del AS rows FROM pg_stat_user_tables WHERE relname = ANY($1)',
    [TABLES],
  );
  return {
    commits: Number(database.rows[0]?.commits ?? 0),
    rows: new Map(tables.rows.map((row) => [row.relname, Number(row.rows)])),
  };
}
