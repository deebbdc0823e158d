import type pg from 'pg';
import { parseCents } from '../../lambda/domain/money.js';
import type { ProducerSummary } from '../../lambda/producer/handler.js';

/** Sum (cents) and count per "branch|currency". */
export type Totals = Map<string, { sum: bigint; count: number }>;

interface TotalsRow {
  readonly branch: string;
  readonly currency: string;
  readonly sum: string;
  readonly count: string;
}

function toTotals(rows: readonly TotalsRow[]): Totals {
  return new Map(
    rows.map((row) => [
      `${row.branch}|${row.currency.trim()}`,
      { sum: parseCents(row.sum), count: Number(row.count) },
    ]),
  );
}

/** The open positions, as analysts see them. */
export async function readPositions(db: pg.Pool | pg.Client): Promise<Totals> {
  const result = await db.query<TotalsRow>(
    'SELECT branch_name AS branch, currency_code AS currency, net_amount::text AS sum, tx_count::text AS count FROM currency_position',
  );
  return toTotals(result.rows);
}

/** The sums of transaction_flow, for all batches or those of one event source (one cluster). */
export async function readFlowTotals(db: pg.Pool | pg.Client, eventSource?: string): Promise<Totals> {
  const result = await db.query<TotalsRow>(
    `SELECT f.branch_name AS branch, f.currency_code AS currency, sum(f.batch_value)::text AS sum, sum(f.tx_count)::text AS count
     FROM transaction_flow f JOIN applied_batch b USING (batch_id)
     WHERE $1::text IS NULL OR b.event_source = $1
     GROUP BY 1, 2`,
    [eventSource ?? null],
  );
  return toTotals(result.rows);
}

/** Lines describing every difference between two totals; empty when they are equal. */
export function diffTotals(
  expected: Totals,
  actual: Totals,
  expectedName: string,
  actualName: string,
): string[] {
  const differences: string[] = [];
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    const want = expected.get(key) ?? { sum: 0n, count: 0 };
    const got = actual.get(key) ?? { sum: 0n, count: 0 };
    if (want.sum !== got.sum || want.count !== got.count) {
      differences.push(
        `${key}: ${expectedName} ${want.sum} cents in ${want.count} deals, ${actualName} ${got.sum} cents in ${got.count} deals`,
      );
    }
  }
  return differences.sort();
}

/** What the producer runs acknowledged, summed: the ground truth of a run. */
export function producedTotals(summaries: readonly ProducerSummary[]): Totals {
  const totals: Totals = new Map();
  for (const summary of summaries) {
    for (const [key, sent] of Object.entries(summary.totals)) {
      const entry = totals.get(key) ?? { sum: 0n, count: 0 };
      entry.sum += parseCents(sent.sum);
      entry.count += sent.count;
      totals.set(key, entry);
    }
  }
  return totals;
}
