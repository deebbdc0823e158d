import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { readWholeTopic } from './topic-truth.js';

/**
 * The financial result of a topic's deals, computed here from the records' JSON text rather than by the
 * aggregator's code or apply_batch's fold: weighted average cost per branch × currency in offset order,
 * in integer kopecks (BigInt), the rule of issue 20 written out once more. npm start compares the
 * database's positions with it at the end of a timed run.
 */
export interface PositionResultTruth {
  position: bigint;
  cost: bigint;
  realized: bigint;
  baseFlow: bigint;
  dealsWithoutBase: number;
}

export type ResultTruth = Map<string, PositionResultTruth>;

/** Kopecks of a JSON number with at most two decimals, from its text; undefined for anything else. */
function kopecksOf(value: unknown): bigint | undefined {
  if (typeof value !== 'number') return undefined;
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(value));
  if (!match) return undefined;
  const [, sign, whole = '0', fraction = ''] = match;
  const kopecks = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
  return sign === '-' ? -kopecks : kopecks;
}

const magnitude = (x: bigint): bigint => (x < 0n ? -x : x);
const signOf = (x: bigint): bigint => (x > 0n ? 1n : x < 0n ? -1n : 0n);
/** round(a·n/d) half away from zero, n ≥ 0, d > 0. */
const share = (a: bigint, n: bigint, d: bigint): bigint =>
  signOf(a) * ((2n * magnitude(a) * n + d) / (2n * d));

/** Folds one deal (q, base) into a position; base undefined: the deal has no baseAmount. */
export function foldResult(
  p: PositionResultTruth,
  q: bigint,
  base: bigint | undefined,
  inBase: boolean,
): void {
  const b = inBase ? q : base === undefined ? undefined : signOf(q) * base;
  if (b === undefined) p.dealsWithoutBase++;
  if (p.dealsWithoutBase > 0) {
    p.position += q;
    // Flat again: its cost is known (0) and its result starts again.
    if (p.position === 0n) Object.assign(p, { cost: 0n, realized: 0n, baseFlow: 0n, dealsWithoutBase: 0 });
    return;
  }
  const amount = b as bigint;
  if (p.position !== 0n && signOf(p.position) !== signOf(q)) {
    const held = magnitude(p.position);
    const closesAll = magnitude(q) >= held;
    const closed = closesAll ? held : magnitude(q);
    const cost = closesAll ? p.cost : share(p.cost, closed, held);
    const proceeds = closed === magnitude(q) ? amount : share(amount, closed, magnitude(q));
    p.realized += -proceeds - cost;
    p.cost += -cost + (amount - proceeds);
  } else {
    p.cost += amount;
  }
  p.position += q;
  p.baseFlow += amount;
}

/** The result of every deal of the topic, by "branch|currency". */
export async function readTopicResults(
  kafka: Kafka,
  topic: string,
  baseCurrency: string,
): Promise<ResultTruth> {
  const truth: ResultTruth = new Map();
  await readWholeTopic(kafka, topic, (_partition, _offset, value) => {
    let deal: { branch?: unknown; currency?: unknown; amount?: unknown; baseAmount?: unknown } | null;
    try {
      deal = JSON.parse(value?.toString('utf8') ?? 'null');
    } catch {
      return;
    }
    const q = kopecksOf(deal?.amount);
    if (typeof deal?.branch !== 'string' || typeof deal.currency !== 'string' || q === undefined) return;
    const key = `${deal.branch}|${deal.currency}`;
    let position = truth.get(key);
    if (position === undefined) {
      position = { position: 0n, cost: 0n, realized: 0n, baseFlow: 0n, dealsWithoutBase: 0 };
      truth.set(key, position);
    }
    foldResult(position, q, kopecksOf(deal.baseAmount), deal.currency === baseCurrency);
  });
  return truth;
}

/** The database's result state of every position, by "branch|currency". */
export async function readStoredResults(db: pg.Client | pg.Pool): Promise<ResultTruth> {
  const result = await db.query<Record<'key' | 'q' | 'c' | 'r' | 'f' | 'u', string>>(
    `SELECT branch_name || '|' || currency_code AS key, net_amount::text AS q, cost_in_base::text AS c,
            realized_in_base::text AS r, base_flow::text AS f, deals_without_base::text AS u
     FROM currency_position`,
  );
  return new Map(
    result.rows.map((row) => [
      row.key,
      {
        // numeric(24, 2) as text always has two decimals: the digits are the kopecks.
        position: BigInt(row.q.replace('.', '')),
        cost: BigInt(row.c.replace('.', '')),
        realized: BigInt(row.r.replace('.', '')),
        baseFlow: BigInt(row.f.replace('.', '')),
        dealsWithoutBase: Number(row.u),
      },
    ]),
  );
}

const describe = (p: PositionResultTruth | undefined): string =>
  p === undefined
    ? 'none'
    : `position ${p.position}, cost ${p.cost}, realized ${p.realized}, base flow ${p.baseFlow} (kopecks), ` +
      `${p.dealsWithoutBase} deals without baseAmount`;

/** Lines naming every position whose result differs; empty when all are equal. */
export function diffResults(expected: ResultTruth, actual: ResultTruth): string[] {
  const lines: string[] = [];
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    const want = expected.get(key);
    const got = actual.get(key);
    if (describe(want) !== describe(got))
      lines.push(`${key} result: topic ${describe(want)}; database ${describe(got)}`);
  }
  return lines.sort();
}
