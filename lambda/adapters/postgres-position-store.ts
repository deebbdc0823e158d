import type pg from 'pg';
import type { LimitBreachChange } from '../aggregator/limit-breach.js';
import type { GapPolicy, OffsetGap } from '../aggregator/offset-gap.js';
import type { ApplyOutcome, PositionResult, PositionStore } from '../aggregator/position-store.js';
import { type BatchAggregate, partitionKey } from '../domain/batch-aggregate.js';
import { int4Array, int8Array } from './binary-array.js';

// One statement per batch: apply_batch (db/migrations) does the whole write in one transaction, so a
// batch costs one round trip to the database. Named arguments, so that a parameter out of place
// fails at once instead of landing in a column of the same type.
export const APPLY_BATCH_SQL =
  'SELECT apply_batch(p_source => $1::text, p_topics => $2::text[], p_partitions => $3::int[], ' +
  'p_from_offsets => $4::bigint[], p_next_offsets => $5::bigint[], p_branches => $6::text[], ' +
  'p_currencies => $7::text[], p_amounts => $8::numeric[], p_counts => $9::int[], ' +
  'r_topics => $10::text[], r_partitions => $11::int[], r_offsets => $12::bigint[], r_keys => $13::bytea[], ' +
  'r_values => $14::bytea[], r_reasons => $15::text[], r_times => $16::timestamptz[], ' +
  'p_record_count => $17::int, p_first_record_time => $18::timestamptz, p_last_record_time => $19::timestamptz, ' +
  'p_record_time_histogram => $20::int[], d_deals => $21::int[], d_cents => $22::bigint[], ' +
  'd_kopecks => $23::bigint[], d_time_origin => $24::bigint, d_times => $25::bigint[], ' +
  'p_accept_gaps => $26::boolean) AS outcome';

interface ApplyBatchResult {
  readonly status: 'applied' | 'conflict' | 'gap';
  readonly batchId?: number;
  readonly committedAt?: string;
  readonly realizedInBase?: string;
  readonly positionResults?: readonly PositionResult[];
  readonly bankTotalInBase?: string | null;
  readonly limitBreaches?: readonly LimitBreachChange[];
  readonly openBreaches?: number;
  readonly checkpoints?: readonly { topic: string; partition: number; nextOffset: number }[];
  readonly gaps?: readonly { topic: string; partition: number; checkpoint: number; firstOffset: number }[];
}

function toGaps(gaps: NonNullable<ApplyBatchResult['gaps']>): OffsetGap[] {
  // bigint columns arrive as JSON numbers; offsets stay below 2^53.
  return gaps.map((g) => ({
    topic: g.topic,
    partition: Number(g.partition),
    checkpoint: Number(g.checkpoint),
    firstOffset: Number(g.firstOffset),
  }));
}

/**
 * SQLSTATE classes of an error the data of a batch causes, which the same batch causes again on every
 * retry: 22 data exception (a value its type cannot hold), 23 integrity constraint violation. Every
 * other class (08 connection, 40 serialization or deadlock, 53 resources, 57 operator intervention,
 * 28 authorization …) is the database's state, not the data's, and is thrown for the batch to be retried.
 */
const DATA_ERROR_CLASSES: readonly string[] = ['22', '23'];

/** The SQLSTATE of a data error, or undefined when `error` is anything else. */
export function dataErrorSqlstate(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || code.length !== 5) return undefined;
  return DATA_ERROR_CLASSES.includes(code.slice(0, 2)) ? code : undefined;
}

function toDate(epochMillis: number | undefined): Date | null {
  return epochMillis === undefined ? null : new Date(epochMillis);
}

// Below this a baseAmount times 100, rounded, is its exact kopecks: the double's error, times 100, stays
// under a quarter of a kopeck. Above it (at most 10^16, 15 significant digits: see Transaction) its
// shortest decimal text is exact, and the kopecks are that text with the point moved: a bigint, since
// beyond 2^53 kopecks a double would not hold them.
const KOPECKS_BY_ARITHMETIC_BELOW = 1e13;

/** A baseAmount's kopecks, signed like its deal's amount (0 for an amount of 0). */
function signedKopecks(base: number, cents: number): number | bigint {
  if (cents === 0) return 0;
  if (base < KOPECKS_BY_ARITHMETIC_BELOW) return cents < 0 ? -Math.round(base * 100) : Math.round(base * 100);
  const [whole = '', fraction = ''] = String(base).split('.');
  const kopecks = BigInt(whole + fraction.padEnd(2, '0'));
  return cents < 0 ? -kopecks : kopecks;
}

/**
 * The batch's deals as apply_batch folds them (db/migrations/1764000000011, folded by 1764000000010): per cell (in the deltas'
 * order) its number of deals, and per deal, grouped by cell in that order, its amount in cents, its
 * baseAmount in kopecks signed like the amount (null: none) and its trade time in ms after the first
 * deal's (the origin, epoch ms). Integers, so that the fold adds integers, sent as binary arrays.
 */
function dealParameters(deltas: BatchAggregate['deltas']): unknown[] {
  const deals: number[] = [];
  const cents: number[] = [];
  const kopecks: (number | bigint | null)[] = [];
  const times: number[] = [];
  const origin = deltas.find((delta) => delta.tradeTimes.length > 0)?.tradeTimes[0] ?? 0;
  for (const delta of deltas) {
    deals.push(delta.amounts.length);
    for (let k = 0; k < delta.amounts.length; k++) {
      const amount = delta.amounts[k] as number;
      const base = delta.bases[k] ?? null;
      cents.push(amount);
      kopecks.push(base === null ? null : signedKopecks(base, amount));
      times.push((delta.tradeTimes[k] as number) - origin);
    }
  }
  return [int4Array(deals), int8Array(cents), int8Array(kopecks), origin, int8Array(times)];
}

/** Parameters of apply_batch, in its order. Exported for the write-path benchmark and tests. */
export function applyBatchParameters(batch: BatchAggregate, gapPolicy: GapPolicy = 'refuse'): unknown[] {
  const { ranges, deltas, rejects } = batch;
  return [
    batch.eventSource,
    ranges.map((r) => r.topic),
    ranges.map((r) => r.partition),
    ranges.map((r) => r.fromOffset),
    ranges.map((r) => r.nextOffset),
    deltas.map((d) => d.branch),
    deltas.map((d) => d.currency),
    deltas.map((d) => d.sum.toDecimal()),
    deltas.map((d) => d.count),
    rejects.map((r) => r.topic),
    rejects.map((r) => r.partition),
    rejects.map((r) => r.offset),
    rejects.map((r) => r.key ?? null),
    rejects.map((r) => r.value ?? null),
    rejects.map((r) => r.reason),
    rejects.map((r) => new Date(r.timestamp)),
    batch.recordCount,
    toDate(batch.firstRecordTime),
    toDate(batch.lastRecordTime),
    batch.recordTimeHistogram,
    ...dealParameters(deltas),
    gapPolicy === 'accept',
  ];
}

export class PostgresPositionStore implements PositionStore {
  constructor(
    private readonly pool: pg.Pool,
    /** @default 'refuse' */
    private readonly gapPolicy: GapPolicy = 'refuse',
  ) {}

  async applyBatch(batch: BatchAggregate): Promise<ApplyOutcome> {
    let result: pg.QueryResult<{ outcome: ApplyBatchResult }>;
    try {
      result = await this.pool.query<{ outcome: ApplyBatchResult }>(
        APPLY_BATCH_SQL,
        applyBatchParameters(batch, this.gapPolicy),
      );
    } catch (error) {
      // One statement, so its transaction is rolled back: nothing of the batch was written.
      const sqlstate = dataErrorSqlstate(error);
      if (sqlstate === undefined) throw error;
      return { status: 'refused', sqlstate, message: (error as Error).message };
    }
    const outcome = result.rows[0]?.outcome;
    if (
      outcome?.status === 'applied' &&
      outcome.batchId !== undefined &&
      outcome.committedAt !== undefined &&
      outcome.realizedInBase !== undefined &&
      outcome.positionResults !== undefined &&
      outcome.bankTotalInBase !== undefined &&
      outcome.limitBreaches !== undefined &&
      outcome.openBreaches !== undefined &&
      outcome.gaps !== undefined
    ) {
      return {
        status: 'applied',
        batchId: Number(outcome.batchId),
        committedAt: new Date(outcome.committedAt),
        realizedInBase: outcome.realizedInBase,
        positionResults: outcome.positionResults,
        bankTotalInBase: outcome.bankTotalInBase,
        limitBreaches: outcome.limitBreaches,
        openBreaches: Number(outcome.openBreaches),
        gaps: toGaps(outcome.gaps),
      };
    }
    if (outcome?.status === 'gap' && outcome.gaps) return { status: 'gap', gaps: toGaps(outcome.gaps) };
    if (outcome?.status === 'conflict' && outcome.checkpoints) {
      const checkpoints = new Map(
        outcome.checkpoints.map((c) => [partitionKey(c.topic, c.partition), Number(c.nextOffset)] as const),
      );
      return { status: 'conflict', checkpoints };
    }
    throw new Error(`apply_batch returned an unexpected result: ${JSON.stringify(outcome)}`);
  }
}
