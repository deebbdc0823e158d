import type pg from 'pg';
import { formatCents, parseCents } from '../../../lambda/domain/money.js';

/** A row of position_limit as the test sets it: amounts as decimal text, branch null for all branches. */
export interface LimitSetting {
  readonly branch: string | null;
  readonly currency: string;
  readonly long: string | null;
  readonly short: string | null;
}

/** One applied batch: its id in applied_batch and the deals it applied. */
export interface AppliedBatch {
  readonly batchId: number;
  readonly deals: readonly { branch: string; currency: string; amount: number }[];
}

/** A limit_breach row, as the oracle and the database give it. */
export interface BreachRow {
  readonly branch: string;
  readonly currency: string;
  readonly side: 'long' | 'short';
  readonly limit: string;
  readonly position: string;
  readonly beganBatch: number;
  readonly clearedBatch: number | null;
  readonly clearedPosition: string | null;
}

export async function setLimits(pool: pg.Pool, limits: readonly LimitSetting[]): Promise<void> {
  await pool.query('DELETE FROM position_limit');
  for (const limit of limits) {
    await pool.query(
      'INSERT INTO position_limit (branch_name, currency_code, long_limit, short_limit) VALUES ($1, $2, $3, $4)',
      [limit.branch, limit.currency, limit.long, limit.short],
    );
  }
}

export async function readBreaches(pool: pg.Pool): Promise<BreachRow[]> {
  const result = await pool.query<BreachRow>(
    `SELECT branch_name AS branch, trim(currency_code) AS currency, side, limit_amount::text AS limit,
            position_amount::text AS position, began_batch_id::int AS "beganBatch",
            cleared_batch_id::int AS "clearedBatch", cleared_position::text AS "clearedPosition"
     FROM limit_breach`,
  );
  return sortBreaches(result.rows);
}

function sortBreaches(rows: BreachRow[]): BreachRow[] {
  const key = (row: BreachRow) =>
    `${String(row.beganBatch).padStart(10, '0')}|${row.branch}|${row.currency}|${row.side}`;
  return rows.sort((a, b) => key(a).localeCompare(key(b)));
}

const cents = (text: string | null): bigint | null => (text === null ? null : parseCents(text));

/**
 * The breaches the README's rules give, computed here from the deals alone: after each batch, each
 * position the batch moved is judged against its branch's own limit, else the all-branches one; a
 * position past a side's limit with no open breach on that side opens one, a position back within
 * closes it. `batches` must be in the order each position saw them (the partition order, when each
 * branch is on one partition).
 */
export function expectedBreaches(
  batches: readonly AppliedBatch[],
  limits: readonly LimitSetting[],
): BreachRow[] {
  const positions = new Map<string, bigint>();
  const open = new Map<string, BreachRow & { clearedBatch: number | null }>();
  const rows: BreachRow[] = [];
  const limitOf = (branch: string, currency: string) =>
    limits.find((l) => l.branch === branch && l.currency === currency) ??
    limits.find((l) => l.branch === null && l.currency === currency);
  for (const batch of batches) {
    const touched = new Set<string>();
    for (const deal of batch.deals) {
      const key = `${deal.branch}|${deal.currency}`;
      positions.set(key, (positions.get(key) ?? 0n) + parseCents(String(deal.amount)));
      touched.add(key);
    }
    for (const key of touched) {
      const [branch = '', currency = ''] = key.split('|');
      const position = positions.get(key) ?? 0n;
      const limit = limitOf(branch, currency);
      for (const side of ['long', 'short'] as const) {
        const amount = cents(side === 'long' ? (limit?.long ?? null) : (limit?.short ?? null));
        const beyond = amount !== null && (side === 'long' ? position > amount : position < -amount);
        const openKey = `${key}|${side}`;
        const current = open.get(openKey);
        if (beyond && current === undefined && amount !== null) {
          const row = {
            branch,
            currency,
            side,
            limit: formatCents(amount),
            position: formatCents(position),
            beganBatch: batch.batchId,
            clearedBatch: null,
            clearedPosition: null,
          };
          open.set(openKey, row);
          rows.push(row);
        } else if (!beyond && current !== undefined) {
          open.delete(openKey);
          rows[rows.indexOf(current)] = {
            ...current,
            clearedBatch: batch.batchId,
            clearedPosition: formatCents(position),
          };
        }
      }
    }
  }
  return sortBreaches(rows);
}
