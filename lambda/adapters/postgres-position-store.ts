import type pg from 'pg';
import type { LimitBreachChange } from '../aggregator/limit-breach.js';
import type { GapPolicy, OffsetGap } from '../aggregator/offset-gap.js';
import type { ApplyOutcome, PositionResult, PositionStore } from '../aggregator/position-store.js';
import { type BatchAggregate, partitionKey } from '../domain/batch-aggregate.js';

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
  'p_record_time_histogram => $20::int[], d_cells => $21::int[], d_amounts => $22::numeric[], ' +
  'd_bases => $23::numeric[], d_times => $24::bigint[], p_accept_gaps => $25::boolean) AS outcome';

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

/**
 * The batch's deals as apply_batch folds them: per deal its cell (1-based, into the deltas), amount,
 * baseAmount (null: none) and trade time, grouped by cell in the deltas' order (the fold keeps each
 * cell's consecutive deals in scalars). Numbers, not decimal strings: String() of a cent amount / 100 and
 * of a baseAmount (see Transaction) is its exact decimal, and a Date per deal would cost more than the
 * rest of the parameters together.
 */
function dealArrays(deltas: BatchAggregate['deltas']): [number[], number[], (number | null)[], number[]] {
  const cells: number[] = [];
  const amounts: number[] = [];
  const bases: (number | null)[] = [];
  const times: number[] = [];
  deltas.forEach((delta, index) => {
    for (let k = 0; k < delta.amounts.length; k++) {
      cells.push(index + 1);
      amounts.push((delta.amounts[k] as number) / 100);
      bases.push(delta.bases[k] ?? null);
      times.push(delta.tradeTimes[k] as number);
    }
  });
  return [cells, amounts, bases, times];
}

/**
 * An array literal of numbers, as pg would write it but joined at once: pg quotes and escapes each
 * element with two regular expressions, which at 10,000 deals cost the function 6 ms per batch
 * (bench/write-path). Elements are String() of each number, as pg writes them; null is NULL.
 */
function numberArrayLiteral(values: readonly (number | null)[]): string {
  return `{${values.map((value) => (value === null ? 'NULL' : String(value))).join(',')}}`;
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
    ...dealArrays(deltas).map(numberArrayLiteral),
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
